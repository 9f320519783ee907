"""Formatting for the dashboards' templates: labels, reasons in words, chart data."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from targets import selectors, tables

register = template.Library()


@register.filter
def kind_label(kind):
    """A commune's kind ("xã", "phường", "thị trấn") in the interface language."""
    return tables.kind_label(kind or "")


@register.filter
def reason_text(reason, titles=None):
    """A status reason ({"code", "params"}) in words; ``titles`` names criteria in full."""
    return tables.reason_text(reason, titles or None)


@register.filter
def status_label(status):
    return tables.status_label(status)


@register.filter
def css_percent(value):
    """A share 0-100 as a CSS length ("63.2%"), whatever the locale's decimal mark."""
    try:
        number = min(max(Decimal(value), Decimal(0)), Decimal(100))
    except (TypeError, ValueError, ArithmeticError):
        number = Decimal(0)
    return f"{number:.1f}%"


def _number(value):
    return None if value is None else float(value)


@register.simple_tag
def share_chart(shares):
    """Chart data of the certified share by year against the target line (json_script it)."""
    return {
        "type": "bar",
        "labels": [str(s.year) for s in shares],
        "percent": True,
        "datasets": [
            {
                "type": "bar",
                "label": _("Tỷ lệ xã đạt chuẩn (%)"),
                "data": [_number(s.percent) or 0 for s in shares],
            },
            {
                "type": "line",
                "label": _("Chỉ tiêu (%)"),
                "data": [_number(s.target_percent) for s in shares],
            },
        ],
    }


@register.filter
def percent_of(part, whole):
    """``part`` as a percentage of ``whole`` (one decimal), None when ``whole`` is 0."""
    return selectors.percent_of(part or 0, whole or 0)


# The mark of an empty cell.
_DASH = format_html('<span class="text-muted">{}</span>', "—")
_NUMERIC_TD = '<td class="text-end text-nowrap">'
_TENTH = Decimal("0.1")


class _Numbers:
    """Numbers in the formats of the interface language, as ``formats.localize`` and
    ``floatformat`` write them, read once per table rather than once per cell: the
    country's dashboard formats over ten thousand of them."""

    def __init__(self):
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")
        self.thousand = formats.get_format("THOUSAND_SEPARATOR")
        grouping = formats.get_format("NUMBER_GROUPING")
        self.fast = settings.USE_THOUSAND_SEPARATOR and grouping == 3

    def integer(self, value) -> str:
        """An integer with its thousands grouped: 1.234.567 (vi), 1,234,567 (en)."""
        if not self.fast or type(value) is not int:
            return formats.localize(value)
        return f"{value:,}".replace(",", self.thousand)

    def tenths(self, value) -> str:
        """A number to one decimal, rounded half up: 63,2 (vi), 63.2 (en) - floatformat:1."""
        if not self.fast or not isinstance(value, Decimal | int):
            return floatformat(value, 1)
        rounded = Decimal(value).quantize(_TENTH, rounding=ROUND_HALF_UP)
        grouped = f"{rounded:,f}"  # 1,234.5
        return grouped.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousand)


# The missing items named in a row of a table; the rest open on demand (<details>, no JS):
# a commune missing fourteen items would otherwise make its row a page tall.
REASONS_SHOWN = 2


def _reasons_html(value):
    if not value:
        return _DASH
    lines = [str(line) for line in value]
    shown = format_html_join("", "<li>{}</li>", ((line,) for line in lines[:REASONS_SHOWN]))
    count = format_html(
        '<div class="reasons-count">{}</div>',
        ngettext("Thiếu %(n)s mục", "Thiếu %(n)s mục", len(lines)) % {"n": len(lines)},
    )
    if len(lines) <= REASONS_SHOWN:
        return format_html('{}<ul class="reasons">{}</ul>', count, shown)
    rest = format_html_join("", "<li>{}</li>", ((line,) for line in lines[REASONS_SHOWN:]))
    more = len(lines) - REASONS_SHOWN
    return format_html(
        '{}<ul class="reasons">{}</ul><details class="reasons-more"><summary>{}</summary>'
        '<ul class="reasons">{}</ul></details>',
        count,
        shown,
        ngettext("và %(n)s mục nữa", "và %(n)s mục nữa", more) % {"n": more},
        rest,
    )


def _cell_html(cell, numbers: _Numbers):
    """One cell of a dashboard table (targets.tables.Cell) as HTML, formatted for the
    interface language."""
    kind, value = cell.kind, cell.value
    if kind == tables.LINK:
        if cell.url:
            # Every linked name of a table is a unit's (data-unit-name: its proper name,
            # Vietnamese in every language).
            url, name = conditional_escape(cell.url), conditional_escape(value)
            return f'<a href="{url}" data-unit-name>{name}</a>'
        return conditional_escape(value)
    if value is None:
        if cell.missing:
            return format_html('<span class="text-muted">{}</span>', cell.missing)
        return _DASH
    if kind in (tables.INT, tables.VND):
        return numbers.integer(value)
    if kind == tables.PERCENT:
        return f"{numbers.tenths(value)}%"
    if kind == tables.STATUS:
        return format_html(
            '<span class="badge status-badge status-{}">{}</span>', value, cell.label
        )
    if kind == tables.REASONS:
        return _reasons_html(value)
    if kind == tables.RATIO:
        return f"{numbers.integer(value[0])}/{numbers.integer(value[1])}"
    if kind == tables.DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == tables.BOOL:
        if value:
            return format_html(
                '<span aria-hidden="true">✓</span><span class="visually-hidden">{}</span>', _("Có")
            )
        return format_html(
            '<span class="text-muted" aria-hidden="true">—</span>'
            '<span class="visually-hidden">{}</span>',
            _("Chưa"),
        )
    return conditional_escape(value)


@register.simple_tag
def table_rows(cells_by_row):
    """The <tr> rows of a dashboard table's body (or footer), built in Python rather than
    with a template per cell: a district of a thousand communes has over ten thousand.
    Every value is escaped (or formatted as a number) as it is written in."""
    numbers = _Numbers()
    # Right-aligned as their column's header (``Column.numeric``).
    right = tables.RIGHT_ALIGNED
    rows = []
    for cells in cells_by_row:
        row = "".join(
            f"{_NUMERIC_TD if c.kind in right else '<td>'}{_cell_html(c, numbers)}</td>"
            for c in cells
        )
        rows.append(f"<tr>{row}</tr>")
    # Safe: every value went through conditional_escape, format_html or a number format.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703

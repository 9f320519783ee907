"""Formatting for the dashboards' templates: labels, reasons in words, chart data."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import gettext as _

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


def _dash():
    """The mark of an empty cell."""
    return format_html('<span class="text-muted">{}</span>', "—")


def _cell_html(cell):
    """One cell of a dashboard table (targets.tables.Cell) as HTML, formatted for the
    interface language."""
    kind, value = cell.kind, cell.value
    if kind == tables.LINK:
        if cell.url:
            return format_html('<a href="{}">{}</a>', cell.url, value)
        return conditional_escape(value)
    if value is None:
        return _dash()
    if kind in (tables.INT, tables.VND):
        return formats.localize(value)
    if kind == tables.PERCENT:
        return f"{floatformat(value, 1)}%"
    if kind == tables.STATUS:
        return format_html(
            '<span class="badge status-badge status-{}">{}</span>', value, cell.label
        )
    if kind == tables.REASONS:
        if not value:
            return _dash()
        items = format_html_join("", "<li>{}</li>", ((line,) for line in value))
        return format_html('<ul class="reasons">{}</ul>', items)
    if kind == tables.RATIO:
        return f"{formats.localize(value[0])}/{formats.localize(value[1])}"
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


def _row_html(cells):
    return format_html_join(
        "",
        "<td{}>{}</td>",
        (
            (format_html(' class="{}"', "text-end text-nowrap") if c.numeric else "", _cell_html(c))
            for c in cells
        ),
    )


@register.simple_tag
def table_rows(cells_by_row):
    """The <tr> rows of a dashboard table's body (or footer), built in Python rather than
    with a template per cell: a district of a thousand communes has over ten thousand."""
    return format_html_join("\n", "<tr>{}</tr>", ((_row_html(cells),) for cells in cells_by_row))

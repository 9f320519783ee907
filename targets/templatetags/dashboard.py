"""Formatting for the dashboards' templates: labels, reasons in words, chart data."""

from decimal import Decimal

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from targets import selectors, tables

register = template.Library()


@register.filter
def kind_label(kind):
    """A commune's kind ("xã", "phường", "thị trấn") in the interface language."""
    return tables.kind_label(kind or "")


@register.filter
def reason_text(reason):
    """A status reason ({"code", "params"}) in words."""
    return tables.reason_text(reason)


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


@register.simple_tag
def survey_chart(months):
    """Chart data of a commune's survey responses and satisfaction month by month."""
    return {
        "type": "bar",
        "labels": [date_format(m.month, "m/Y") for m in months],
        "percent": False,
        "datasets": [
            {
                "type": "bar",
                "label": _("Số phiếu"),
                "data": [m.responses for m in months],
                "yAxisID": "y",
            },
            {
                "type": "line",
                "label": _("Tỷ lệ hài lòng (%)"),
                "data": [_number(m.rate) for m in months],
                "yAxisID": "rate",
            },
        ],
    }


@register.filter
def percent_of(part, whole):
    """``part`` as a percentage of ``whole`` (one decimal), None when ``whole`` is 0."""
    return selectors.percent_of(part or 0, whole or 0)

"""Formatting for survey pages: rates, the answer scale, the kiosk's QR code."""

import qrcode
import qrcode.image.svg
from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

from surveys.questions import SCALE

register = template.Library()

_EMOJI = {value: emoji for value, _label, emoji in SCALE}


@register.filter
def rate(value):
    """96.5 -> "96,5%" in Vietnamese, "96.5%" in English; a dash when there is no figure."""
    if value is None:
        return "–"
    return f"{number_format(value, 1, use_l10n=True)}%"


@register.filter
def scale_emoji(value):
    try:
        return _EMOJI.get(int(value), "")
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def qr_svg(url):
    """The QR code of ``url`` as inline SVG, drawn on the server (no outside service)."""
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # The page sizes the code; the SVG keeps only its viewBox.
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    # Safe: the SVG is drawn by qrcode and holds only path data, no text of the request.
    return mark_safe(svg.replace("<svg ", '<svg class="qr-code" role="img" ', 1))  # noqa: S308  # nosec B308 B703

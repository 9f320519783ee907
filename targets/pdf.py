"""PDF documents rendered on the server from templates (WeasyPrint).

WeasyPrint lays out HTML and CSS with Pango; the fonts come from the system (Debian's
fonts-dejavu-core, installed by ``make setup`` and ``.ci/run``), whose DejaVu faces carry
every Vietnamese glyph. Nothing is fetched from the network: the templates hold their
CSS and their charts are inline SVG.
"""

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

# WeasyPrint reports every layout step at INFO: keep its warnings, not its chatter.
logging.getLogger("weasyprint").setLevel(logging.WARNING)


def render_pdf(template: str, context: dict, *, request=None) -> bytes:
    """``template`` rendered with ``context`` and laid out as a PDF document."""
    from weasyprint import HTML  # imported late: loading Pango takes a moment

    html = render_to_string(template, context, request=request)

    def no_fetch(url, *args, **kwargs):
        raise ValueError(f"PDF templates are self-contained; refused to fetch {url}")

    return HTML(string=html, url_fetcher=no_fetch).write_pdf()


def pdf_response(data: bytes, *, filename: str, inline: bool = True) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{slugify(filename)}.pdf"'
    return response

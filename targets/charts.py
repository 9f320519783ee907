"""Small SVG charts drawn on the server, for the PDF reports (WeasyPrint renders SVG).

Hand-written rather than matplotlib: two kinds of bar chart do not justify a plotting
library and its dependencies, and SVG stays sharp at any zoom and prints whole.
"""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

FONT = "DejaVu Sans, sans-serif"


def _number(value) -> str:
    return f"{float(value):.1f}".replace(".", ",")


def bars_against_target(rows, *, width=680, bar_height=16, gap=6, label_width=190, title=""):
    """Horizontal bars, one per row ``(label, percent or None, target percent or None)``,
    on a 0-100% scale, each with a mark at its target."""
    plot = width - label_width - 50
    top = 24 if title else 6
    height = top + len(rows) * (bar_height + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10">'
    ]
    if title:
        parts.append(f'<text x="0" y="14" font-size="11" font-weight="bold">{escape(title)}</text>')
    for tick in (0, 25, 50, 75, 100):
        x = label_width + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{height - 20}" '
            'stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#555">{tick}%</text>'
        )
    for i, (label, percent, target) in enumerate(rows):
        y = top + i * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 4}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        value = Decimal(percent or 0)
        length = plot * float(min(value, Decimal(100))) / 100
        reached = target is not None and value >= Decimal(target)
        colour = "#198754" if reached else "#0d6efd"
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{colour}"/>'
        )
        text = "–" if percent is None else f"{_number(percent)}%"
        parts.append(
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height - 4}">{text}</text>'
        )
        if target is not None:
            x = label_width + plot * float(min(Decimal(target), Decimal(100))) / 100
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + bar_height + 2}" '
                'stroke="#dc3545" stroke-width="2"/>'
            )
    parts.append("</svg>")
    # Every text in the chart is escaped above.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703

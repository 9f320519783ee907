"""The "Còn thiếu" cell of the commune tables: a count, two items, the rest on demand."""

from targets import tables
from targets.templatetags.dashboard import table_rows


def cell_html(lines):
    return str(table_rows([[tables.Cell(tables.REASONS, lines)]]))


def test_a_long_list_shows_its_count_two_items_and_the_rest_in_details():
    html = cell_html([f"Tiêu chí X-{n}: chưa gửi minh chứng." for n in range(1, 15)])
    assert "Thiếu 14 mục" in html
    shown, hidden = html.split("<details", 1)
    assert "X-1:" in shown and "X-2:" in shown and "X-3:" not in shown
    assert "và 12 mục nữa" in hidden and "X-14:" in hidden


def test_a_short_list_has_nothing_to_open():
    html = cell_html(["Tiêu chí X-1: chưa gửi minh chứng."])
    assert "Thiếu 1 mục" in html and "<details" not in html


def test_nothing_missing_is_a_dash():
    assert "—" in cell_html([])

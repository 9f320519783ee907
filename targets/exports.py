"""Excel workbooks of the dashboards' tables (openpyxl), formatted for reading.

Each table becomes a sheet: a title and a subtitle line, a bold header row that stays
frozen while scrolling and carries a filter, the columns as wide as their content, and
numbers written as numbers (percentages as real percentages, money with thousands
separators) so that they can be summed and charted in Excel.
"""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from friendlygov.cells import save_workbook
from targets import tables

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER_ROW = 4
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_NUMBER_FORMATS = {
    tables.INT: "#,##0",
    tables.VND: "#,##0",
    tables.PERCENT: "0.0%",
    tables.DATE: "dd/mm/yyyy",
}
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def _sheet_name(name: str, taken: set) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = " ".join(re.sub(r"[\[\]:*?/\\]", " ", str(name)).split())[:31].strip() or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _excel_value(cell: tables.Cell):
    """The value a cell is written as: numbers stay numbers, lists become one line."""
    value = cell.value
    if value is None:
        return str(cell.missing) if cell.missing else None
    if cell.kind == tables.PERCENT:
        return float(Decimal(value) / 100)
    if cell.kind in (tables.INT, tables.VND):
        return int(value)
    if cell.kind == tables.STATUS:
        return cell.label
    if cell.kind == tables.REASONS:
        return "; ".join(str(v) for v in value)
    if cell.kind == tables.BOOL:
        return gettext("Có") if value else gettext("Chưa")
    if cell.kind == tables.RATIO:
        return f"{value[0]}/{value[1]}"
    if cell.kind == tables.DATE:
        return value if isinstance(value, date) else str(value)
    return str(value)


def _shown_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, float):  # a percentage: "63,2%"
        return 7
    if isinstance(value, int):
        return len(f"{value:,}")
    if isinstance(value, date):
        return 10
    return len(str(value))


def write_table(sheet, table: tables.Table, *, title: str, subtitle: str) -> None:
    columns = table.xlsx_columns
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = subtitle
    sheet["A2"].font = Font(italic=True, color="555555")

    widths = []
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=str(column.label))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths.append(min(max(len(str(column.label)) // 2 + 2, _MIN_WIDTH), 24))

    rows = [(row, False) for row in table.rows]
    if table.footer is not None:
        rows.append((table.footer, True))
    for offset, (row, is_total) in enumerate(rows, start=1):
        cells = table.cells_of(row, columns, links=False)
        for index, (column, cell) in enumerate(zip(columns, cells, strict=True), start=1):
            value = _excel_value(cell)
            target = sheet.cell(row=HEADER_ROW + offset, column=index, value=value)
            number_format = _NUMBER_FORMATS.get(column.kind)
            if number_format:
                target.number_format = number_format
            if column.kind == tables.REASONS:
                target.alignment = Alignment(wrap_text=True, vertical="top")
            if is_total:
                target.font = Font(bold=True)
            widths[index - 1] = max(widths[index - 1], _shown_width(value) + 2)

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, _MAX_WIDTH)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(table.rows)}"
    sheet.print_options.gridLines = True
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def workbook(tables_, *, subtitle: str) -> Workbook:
    """A workbook with one sheet per table, in order."""
    book = Workbook()
    book.remove(book.active)
    taken: set = set()
    for table in tables_:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        write_table(sheet, table, title=str(table.title), subtitle=subtitle)
    return book


def xlsx_response(tables_, *, filename: str, subtitle: str) -> HttpResponse:
    """The tables as a downloaded workbook named ``filename``.xlsx."""
    stamp = gettext("Xuất lúc %(at)s") % {
        "at": date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    }
    book = workbook(tables_, subtitle=f"{subtitle} · {stamp}")
    buffer = BytesIO()
    save_workbook(book, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response

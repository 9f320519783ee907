"""CSV and Excel files of the surveys app: figures for download and the import template.

Numbers are written as numbers (a rate is a fraction formatted as a percentage in Excel)
so that people can compute with them.
"""

import io

from django.http import HttpResponse
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from friendlygov.cells import csv_writer, save_workbook
from surveys.importing import REQUIRED_COLUMNS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="0D6EFD")


def _figure_headers():
    return [_("Kỳ"), _("Từ ngày"), _("Đến ngày"), _("Số phiếu"), _("Hài lòng"), _("Tỷ lệ (%)")]


def _attachment(response, filename):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The CSV styles: the reader's (dates dd/mm/yyyy, "62,5" in Vietnamese, ";" between
# fields where the decimal mark is a comma, as a Vietnamese-locale Excel reads it) and
# ISO for machines (2026-01-01, 62.5, ",").
CSV_STYLES = ("local", "iso")


def figures_csv(*, commune, rows, filename, style: str = "local") -> HttpResponse:
    """One line per period. UTF-8 with a BOM so that Excel shows Vietnamese correctly."""
    iso = style == "iso"
    decimal = "." if iso else get_format("DECIMAL_SEPARATOR")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")
    writer = csv_writer(response, delimiter=";" if decimal == "," else ",")
    writer.writerow([_("Mã xã"), _("Xã"), *_figure_headers()])

    def day(value):
        return value.isoformat() if iso else value.strftime("%d/%m/%Y")

    for row in rows:
        rate = row.figures.rate
        if rate is None:
            rate_text = "" if iso else _("chưa báo cáo")
        else:
            rate_text = f"{rate:.1f}".replace(".", decimal)
        writer.writerow(
            [
                commune.code,
                commune.name,
                row.label,
                day(row.start),
                day(row.end),
                row.figures.responses,
                row.figures.satisfied,
                rate_text,
            ]
        )
    suffix = "-iso" if iso else ""
    return _attachment(response, f"{filename}{suffix}.csv")


def _style_sheet(sheet, widths):
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _xlsx_response(workbook, filename) -> HttpResponse:
    buffer = io.BytesIO()
    save_workbook(workbook, buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE), filename)


def figures_xlsx(*, commune, rows, shares, filename) -> HttpResponse:
    """Two sheets: the figures by period, and the shares by SIPAS element and question."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Theo kỳ")
    sheet.append(_figure_headers())
    for row in rows:
        rate = row.figures.rate
        sheet.append(
            [
                row.label,
                row.start,
                row.end,
                row.figures.responses,
                row.figures.satisfied,
                _("chưa báo cáo") if rate is None else float(rate) / 100,
            ]
        )
    for line in sheet.iter_rows(min_row=2):
        line[1].number_format = line[2].number_format = "DD/MM/YYYY"
        line[5].number_format = "0.0%"
    _style_sheet(sheet, [14, 12, 12, 10, 10, 10])
    sheet.append([])
    sheet.append([f"{commune.name} ({commune.code})"])

    sheet = workbook.create_sheet(_("Theo câu hỏi"))
    sheet.append(
        [_("Yếu tố / câu hỏi"), _("Nội dung"), _("Số trả lời"), _("Số chọn 4-5"), _("Tỷ lệ")]
    )
    for element in shares.elements:
        sheet.append(
            [str(element.label), "", element.answered, element.positive, _fraction(element.share)]
        )
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for question in shares.questions:
        sheet.append(
            [
                question.code,
                question.text,
                question.answered,
                question.positive,
                _fraction(question.share),
            ]
        )
    for line in sheet.iter_rows(min_row=2):
        line[4].number_format = "0.0%"
    _style_sheet(sheet, [34, 70, 12, 12, 10])
    return _xlsx_response(workbook, f"{filename}.xlsx")


def _fraction(share):
    return None if share is None else float(share) / 100


def import_template(*, fmt: str, question_codes: list[str]) -> HttpResponse:
    """An empty file with the columns the importer reads (no example row to import by mistake)."""
    header = [*REQUIRED_COLUMNS, *question_codes]
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")
        csv_writer(response).writerow(header)
        return _attachment(response, "mau-nhap-khao-sat.csv")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "khao-sat"
    sheet.append(header)
    _style_sheet(sheet, [14, 14, 10, *[6] * len(question_codes)])
    notes = workbook.create_sheet(_("Hướng dẫn"))
    for line in [
        _("Mỗi dòng là một phiếu; dòng 1 là tên cột, giữ nguyên."),
        _("commune_code: mã xã theo danh mục của Tổng cục Thống kê, ví dụ 7444."),
        _("answered_on: ngày trả lời, dạng YYYY-MM-DD hoặc dd/mm/yyyy."),
        _("satisfied: 1/0, có/không hoặc yes/no (hài lòng hoặc rất hài lòng là 1)."),
        _("Q1...: điểm từng câu hỏi từ 1 đến 5; có thể để trống hoặc bỏ cột."),
        _("Ví dụ: 7444, 15/03/2024, 1, 5, 4, 4, 5, 5, 4, 5, 5, 4, 4, 5"),
    ]:
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    return _xlsx_response(workbook, "mau-nhap-khao-sat.xlsx")

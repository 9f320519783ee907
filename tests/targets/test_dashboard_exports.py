"""Excel exports of the dashboards' tables (?format=xlsx)."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from communes.models import Commune
from targets.exports import HEADER_ROW, XLSX
from targets.models import Status
from tests.conftest import DOI_NGO, LE_LOI
from tests.targets.dashboard_data import fill_communes, give_status, set_targets

pytestmark = pytest.mark.django_db


def workbook_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(BytesIO(response.content))


def header(sheet):
    return [c.value for c in sheet[HEADER_ROW]]


def row_where(sheet, column_label, value):
    index = header(sheet).index(column_label)
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1):
        if row[index].value == value:
            return {header(sheet)[i]: cell for i, cell in enumerate(row)}
    raise AssertionError(f"no row with {column_label}={value!r}")


@pytest.fixture
def statuses():
    set_targets()
    give_status(
        Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED, responses=50, satisfied=48
    )
    give_status(
        Commune.objects.get(code=LE_LOI),
        2024,
        Status.IN_PROGRESS,
        [{"code": "evidence_missing", "params": {"criterion": "CSVC-02"}}],
    )


def test_the_province_workbook_has_every_dashboard_table_as_a_formatted_sheet(
    client, province_official, statuses
):
    client.force_login(province_official)

    book = workbook_of(client.get("/?year=2024&format=xlsx"))

    assert book.sheetnames == [
        "Tiến độ theo huyện",
        "Sắp đạt chuẩn chỉ còn thiếu một",
        "Tỷ lệ xã đạt chuẩn qua các năm",
        "Nhân rộng cách làm hay",
        "Kinh phí đầu tư cơ sở vật chất",
    ]
    sheet = book["Tiến độ theo huyện"]
    assert sheet["A1"].value == "Tiến độ theo huyện"
    assert "năm 2024" in sheet["A2"].value
    assert header(sheet)[:6] == [
        "Mã",
        "Huyện, thị xã, thành phố",
        "Số xã",
        "Đã thành lập BCĐ",
        "Đã ra mắt mô hình",
        "Đạt chuẩn",
    ]
    assert all(c.font.bold for c in sheet[HEADER_ROW] if c.value)
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.column_dimensions["B"].width >= len("Huyện, thị xã, thành phố") // 2

    luc_nam = row_where(sheet, "Mã", "218")
    assert luc_nam["Số xã"].value == 25  # a number, not the text "25"
    assert luc_nam["Đạt chuẩn"].value == 1
    assert luc_nam["Tỷ lệ đạt"].value == pytest.approx(0.04)  # 4% as a real percentage
    assert luc_nam["Tỷ lệ đạt"].number_format == "0.0%"
    assert luc_nam["Hài lòng"].value == pytest.approx(0.96)
    total = row_where(sheet, "Huyện, thị xã, thành phố", "Toàn tỉnh")
    assert total["Số xã"].value == 209
    assert total["Số xã"].font.bold

    closest = book["Sắp đạt chuẩn chỉ còn thiếu một"]
    lines = [r[3].value for r in closest.iter_rows(min_row=HEADER_ROW + 1)]
    assert any("CSVC-02" in line for line in lines)


def test_the_page_and_the_export_of_the_province_list_all_closest_communes(
    client, province_official
):
    set_targets()
    one = [{"code": "evidence_missing", "params": {"criterion": "X"}}]
    for commune in Commune.objects.all()[:15]:
        give_status(commune, 2024, Status.IN_PROGRESS, one)
    client.force_login(province_official)

    assert len(client.get("/?year=2024").context["closest_table"].rows) == 15
    book = workbook_of(client.get("/?year=2024&format=xlsx"))
    assert book["Sắp đạt chuẩn chỉ còn thiếu một"].max_row == HEADER_ROW + 15


def test_the_district_workbook_has_its_communes_with_numbers_as_numbers(
    client, district_official, statuses
):
    fill_communes(Commune.objects.filter(district__code="218").exclude(code=DOI_NGO))
    client.force_login(district_official)

    book = workbook_of(client.get("/districts/218/?year=2024&format=xlsx&status=CERTIFIED"))

    sheet = book["Các xã, phường, thị trấn"]
    labels = header(sheet)
    assert "Minh chứng đã duyệt" in labels and "Minh chứng cần có" in labels
    doi_ngo = row_where(sheet, "Mã", DOI_NGO)
    assert doi_ngo["Trạng thái"].value == "Đạt chuẩn"
    assert doi_ngo["Số phiếu khảo sát"].value == 50
    assert doi_ngo["Hài lòng"].value == pytest.approx(0.96)
    assert doi_ngo["Loại"].value == "Thị trấn"
    # The filter of the page applies to its export.
    statuses_in_sheet = {r[labels.index("Trạng thái")].value for r in sheet.iter_rows(min_row=5)}
    assert statuses_in_sheet == {"Đạt chuẩn"}


def test_the_export_follows_the_interface_language(client, province_official, statuses):
    client.force_login(province_official)
    client.cookies["django_language"] = "en"

    book = workbook_of(client.get("/?year=2024&format=xlsx"))

    assert "Progress by district" in book.sheetnames
    assert header(book["Progress by district"])[1] == "District"


def test_an_investment_workbook_keeps_money_as_whole_dong(client, district_official):
    from communes.demo_practices import seed

    seed()
    client.force_login(district_official)

    book = workbook_of(client.get("/districts/218/investment/?format=xlsx"))

    sheet = book.worksheets[0]
    district_level = row_where(sheet, "Đơn vị", "Cấp huyện")
    assert district_level["Kế hoạch (đồng)"].value == 6_500_000_000
    assert district_level["Kế hoạch (đồng)"].number_format == "#,##0"
    total = row_where(sheet, "Đơn vị", "Tổng cộng")
    assert total["Kế hoạch (đồng)"].value == 12_700_000_000

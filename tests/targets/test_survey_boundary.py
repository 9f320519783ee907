"""One verdict for the survey at its boundary, on every page, the API and the exports.

402 satisfied of 473 responses is 84.99%: shown as 85,0%, and below an 85% threshold.
Before the survey test was written once (surveys.rules), the surveys trend compared the
rounded share and said "Đạt ngưỡng khảo sát" while the status said the satisfaction was
below the threshold.
"""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from targets import services
from tests.conftest import DOI_NGO, LUC_NAM

pytestmark = pytest.mark.django_db

MET_BADGE = ">Đạt ngưỡng khảo sát<"
BELOW_BADGE = ">Chưa đạt ngưỡng khảo sát<"
BELOW_REASON = "Tỷ lệ người dân hài lòng 84,99%, thấp hơn ngưỡng 85%."


@pytest.fixture
def boundary(make_ready, doi_ngo):
    """Đồi Ngô meets everything in 2023 but the survey: 402 satisfied of 473 (84.99%)."""
    make_ready([doi_ngo], 2023, responses=473, satisfied=402)
    services.statuses_recompute(year=2023)
    return doi_ngo


def test_the_commune_page_says_below_the_threshold_in_its_badge_and_its_reasons(
    client_for, province_official, boundary
):
    page = client_for(province_official).get(f"/communes/{DOI_NGO}/?year=2023").text

    assert BELOW_BADGE in page and MET_BADGE not in page
    assert BELOW_REASON in page
    assert "85,0%" in page  # the share is shown rounded; the verdict is not


def test_the_surveys_page_says_below_the_threshold(client_for, province_official, boundary):
    page = client_for(province_official).get(f"/communes/{DOI_NGO}/surveys/?year=2023").text

    assert BELOW_BADGE in page and MET_BADGE not in page


def test_the_checklist_marks_the_survey_criterion_below_the_threshold(
    client_for, province_official, boundary
):
    page = client_for(province_official).get(f"/communes/{DOI_NGO}/checklist/2023/").text

    assert "Dưới ngưỡng" in page


def test_the_api_gives_the_same_verdict(client_for, province_official, boundary):
    body = client_for(province_official).get(f"/api/v1/communes/{DOI_NGO}?year=2023").json()

    assert body["status"] == "NOT_MET"
    assert [r["code"] for r in body["reasons"]] == ["satisfaction_below"]
    assert body["survey"] == {"responses": 473, "satisfied": 402, "rate": 85.0}


def test_the_district_workbook_gives_the_same_verdict(client_for, province_official, boundary):
    response = client_for(province_official).get(f"/districts/{LUC_NAM}/?year=2023&format=xlsx")
    sheet = load_workbook(BytesIO(response.content))["Các xã, phường, thị trấn"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Mã" in r)
    doi_ngo = dict(zip(header, next(r for r in rows if r and DOI_NGO in r), strict=False))

    assert doi_ngo["Trạng thái"] == "Chưa đạt"
    assert doi_ngo["Số phiếu khảo sát"] == 473


def test_the_closest_communes_of_the_province_workbook_give_the_same_reason(
    client_for, province_official, boundary
):
    response = client_for(province_official).get("/?year=2023&format=xlsx")
    book = load_workbook(BytesIO(response.content))
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]

    assert any(BELOW_REASON in cell for cell in cells)
    assert not any("Đạt ngưỡng khảo sát" in cell for cell in cells)

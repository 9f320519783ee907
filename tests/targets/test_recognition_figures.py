"""What a recognition decision changes in every figure: the dashboards count communes
meeting the criteria and those recognized, the gap follows the year's setting, and
every page, the export and the API tell "awaiting recognition" from "recognized"."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communes.models import District
from targets import selectors
from tests.targets.formal_acts import issued, set_status, set_year

pytestmark = pytest.mark.django_db

LUC_NAM_CERTIFIED = ["7444", "7492", "7459", "7513"]


@pytest.fixture
def one_recognized(district_official):
    """Lục Nam: four communes meet the 2024 criteria; a decision recognizes Đồi Ngô only."""
    from communes.models import Commune

    set_year(2024, level="district", target="60")
    set_status(LUC_NAM_CERTIFIED)
    return issued(district_official, communes=[Commune.objects.get(code="7444")])


def luc_nam_progress():
    figures = selectors.dashboard_figures(year=2024, districts=District.objects.filter(code="218"))
    return figures.overall.progress


def test_dashboards_count_both_the_certified_and_the_recognized(one_recognized):
    progress = luc_nam_progress()
    assert (progress.certified, progress.recognized, progress.awaiting) == (4, 1, 3)
    # 60% of 25 communes = 15 needed; measured on communes meeting the criteria.
    assert (progress.needed, progress.gap) == (15, 11)


def test_the_target_is_measured_on_recognized_communes_when_the_year_says_so(one_recognized):
    set_year(2024, level="district", on_recognized=True, target="60")
    progress = luc_nam_progress()
    assert progress.gap == 14  # 15 needed, 1 recognized
    overall, districts = selectors.progress_by_district(
        year=2024, districts=District.objects.filter(code="218")
    )
    assert overall.as_dict()["gap"] == 14


def test_the_api_names_the_decision_of_a_recognized_commune(
    one_recognized, client_for, district_official
):
    client = client_for(district_official)
    doi_ngo = client.get(reverse("api_commune", args=["7444"]) + "?year=2024").json()
    assert doi_ngo["recognized"] == {"number": "123/QĐ-UBND", "date": "2024-12-20"}
    binh_son = client.get(reverse("api_commune", args=["7492"]) + "?year=2024").json()
    assert (binh_son["status"], binh_son["recognized"]) == ("CERTIFIED", None)


def test_the_commune_page_tells_recognized_from_awaiting(
    one_recognized, client_for, district_official
):
    client = client_for(district_official)
    page = client.get(reverse("commune_detail", args=["7444"]) + "?year=2024").content.decode()
    assert "Đã công nhận theo Quyết định số 123/QĐ-UBND ngày 20/12/2024" in page
    page = client.get(reverse("commune_detail", args=["7492"]) + "?year=2024").content.decode()
    assert "Đạt tiêu chí, chờ quyết định công nhận" in page


def test_the_public_page_tells_recognized_from_awaiting(one_recognized, client):
    page = client.get(reverse("public_progress") + "?year=2024").content.decode()
    assert "đã công nhận theo Quyết định số 123/QĐ-UBND ngày 20/12/2024" in page
    assert 'Xã Bình Sơn: <span class="text-muted">đạt tiêu chí, chờ quyết định công nhận' in page
    assert "1 đã có quyết định công nhận, 3 đạt tiêu chí" in page


def test_the_district_dashboard_and_its_export_tell_them_apart(
    one_recognized, client_for, district_official
):
    client = client_for(district_official)
    url = reverse("district_detail", args=["218"]) + "?year=2024"
    page = client.get(url).content.decode()
    assert "Đã công nhận theo Quyết định số 123/QĐ-UBND ngày 20/12/2024" in page
    assert "Trong số xã đạt chuẩn: 1 đã có quyết định công nhận, 3 đạt tiêu chí" in page
    workbook = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").content))
    sheet = workbook["communes"] if "communes" in workbook.sheetnames else workbook.worksheets[0]
    values = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert "Đã công nhận theo Quyết định số 123/QĐ-UBND ngày 20/12/2024" in values
    assert values.count("Đạt tiêu chí, chờ quyết định công nhận") == 3


def test_the_province_dashboard_counts_recognized_communes_per_district(
    one_recognized, client_for, province_official
):
    page = client_for(province_official).get("/?year=2024").content.decode()
    assert "Đã có QĐ công nhận" in page
    assert "1 đã có quyết định công nhận, 3 đạt tiêu chí" in page


def test_issuing_a_decision_refreshes_the_cached_dashboard(
    one_recognized,
    client_for,
    province_official,
    district_official,
    django_capture_on_commit_callbacks,
):
    from communes.models import Commune

    client = client_for(province_official)
    assert "1 đã có quyết định công nhận" in client.get("/?year=2024").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        issued(district_official, number="124/QĐ-UBND", communes=[Commune.objects.get(code="7492")])
    assert "2 đã có quyết định công nhận" in client.get("/?year=2024").content.decode()


def test_the_progress_bar_follows_what_the_target_is_measured_on(one_recognized):
    progress = luc_nam_progress()
    assert progress.measured_percent == progress.percent == 16  # 4 of 25
    set_year(2024, level="district", on_recognized=True, target="60")
    progress = luc_nam_progress()
    assert progress.measured_percent == 4  # 1 of 25


def test_a_withdrawn_commune_reads_as_withdrawn_in_the_district_table(
    one_recognized, client_for, district_official
):
    import datetime

    from targets import decisions
    from tests.targets.formal_acts import scan

    doi_ngo = one_recognized.entries.get().commune
    withdrawal = decisions.decision_withdraw_draft(
        decision=one_recognized, by=district_official, commune_ids=[doi_ngo.pk], reason="Sai"
    )
    decisions.decision_update(
        decision=withdrawal,
        by=district_official,
        number="9/QĐ-UBND",
        signed_on=datetime.date(2025, 2, 1),
        signer="Chủ tịch",
        scan=scan(),
    )
    decisions.decision_issue(decision=withdrawal, by=district_official)
    url = reverse("district_detail", args=["218"]) + "?year=2024"
    page = client_for(district_official).get(url).content.decode()
    assert "Đã bị thu hồi công nhận theo Quyết định số 9/QĐ-UBND ngày 01/02/2025" in page
    assert luc_nam_progress().recognized == 0

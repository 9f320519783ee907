"""The meeting reports: PDFs generated on the server, read back as text."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune
from targets.models import Status
from tests.targets.formal_acts import issued, pdf_pages, pdf_text, set_status, set_year

pytestmark = pytest.mark.django_db

REASON = {"code": "too_few_responses", "params": {"responses": 12, "minimum": 30}}


@pytest.fixture
def year_2024(district_official):
    set_year(2023, level="district", target="30")
    set_year(2024, level="district", target="60")
    set_status(["7444", "7492", "7219"], year=2023)
    set_status(["7444", "7492", "7459", "7219"])
    set_status(["7450"], Status.IN_PROGRESS, reasons=[REASON])
    issued(
        district_official,
        number="321/QĐ-UBND",
        signed_on=datetime.date(2024, 12, 22),
        communes=[Commune.objects.get(code="7444"), Commune.objects.get(code="7492")],
    )


def test_the_province_report_holds_every_part_of_the_meeting(
    year_2024, client_for, province_official
):
    response = client_for(province_official).get(reverse("province_report", args=[2024]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Báo cáo tiến độ mô hình Chính quyền thân thiện năm 2024" in text
    assert "Tỉnh Bắc Giang" in text
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Lập ngày {today}" in text
    # Figures against the target: 4 of 209 meet the criteria, 2 recognized, 2 awaiting.
    assert "4 (1,9%)" in text
    assert "60% (126 xã)" in text
    # Year over year, with the chart's labels.
    assert "So sánh qua các năm" in text and "3/209" in text and "4/209" in text
    assert "Tỷ lệ xã đạt chuẩn theo huyện" in text
    # Satisfaction by district, the decisions, the backlog.
    assert "Huyện Lục Nam" in text and "Huyện Hiệp Hòa" in text
    assert "321/QĐ-UBND" in text and "22/12/2024" in text
    assert "Minh chứng chờ duyệt" in text
    # Every commune not certified: 205 of them, with what the one computed misses.
    assert "(205 xã)" in text
    assert "Xã Đông Hưng" in text
    assert "Mới có 12 phiếu khảo sát trong năm; cần ít nhất 30." in text
    assert "Xã Yên Sơn" in text  # never computed: listed all the same
    # Page numbers on every page.
    pages = pdf_pages(response.content)
    assert pages > 3
    assert f"{pages} / {pages}" in text and f"1 / {pages}" in text


def test_a_districts_report_covers_its_own_communes(year_2024, client_for, district_official):
    response = client_for(district_official).get(reverse("district_report", args=["218", 2024]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "năm 2024 – Huyện Lục Nam" in text
    assert "Xã Đông Hưng" in text
    assert "Phường Lê Lợi" not in text and "Thành phố Bắc Giang" not in text
    assert "(22 xã)" in text  # 25 communes, 3 meet the criteria
    # Its communes one by one, with the decision that recognized them.
    assert "Theo từng xã" in text
    assert "Thị trấn Đồi Ngô Đạt chuẩn 321/QĐ-UBND (22/12/2024)" in text


def test_reports_follow_the_callers_scope(
    year_2024, client_for, district_official, other_district_official, commune_staff
):
    assert (
        client_for(other_district_official)
        .get(reverse("district_report", args=["218", 2024]))
        .status_code
        == 403
    )
    assert (
        client_for(district_official).get(reverse("province_report", args=[2024])).status_code
        == 403
    )
    assert (
        client_for(commune_staff).get(reverse("district_report", args=["218", 2024])).status_code
        == 403
    )
    assert (
        client_for(district_official)
        .get(reverse("district_report", args=["999", 2024]))
        .status_code
        == 404
    )
    assert (
        client_for(district_official)
        .get(reverse("district_report", args=["218", 1999]))
        .status_code
        == 404
    )


def test_a_report_is_read_only(year_2024, client_for, province_official):
    assert (
        client_for(province_official).post(reverse("province_report", args=[2024])).status_code
        == 405
    )


def test_anonymous_users_get_no_report(year_2024, client):
    response = client.get(reverse("province_report", args=[2024]))
    assert response.status_code == 302


# --- Built by a Celery task, with progress -------------------------------------------------


def test_the_province_report_is_built_by_a_task_that_records_its_progress(
    year_2024, client_for, province_official, django_capture_on_commit_callbacks
):
    from targets.models import ReportRun

    client = client_for(province_official)
    page = client.get(reverse("province_report_page", args=[2024])).content.decode()
    assert "Chưa lập báo cáo" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("province_report_build", args=[2024]))
    assert response.url == reverse("province_report_page", args=[2024])
    run = ReportRun.objects.get()
    assert (run.state, run.percent, run.steps_done) == (ReportRun.State.DONE, 100, run.steps_total)
    assert run.steps_total > 3  # the parts of the report were counted as they were read
    page = client.get(response.url).content.decode()
    assert reverse("report_run_file", args=[run.pk]) in page
    pdf = client.get(reverse("report_run_file", args=[run.pk]))
    text = pdf_text(b"".join(pdf.streaming_content))
    assert "Các xã chưa đạt chuẩn và nội dung còn thiếu (205 xã)" in text


def test_a_running_build_shows_its_progress_and_refreshes(year_2024, client_for, province_official):
    from targets.models import ReportRun

    ReportRun.objects.create(
        year=2024,
        province_id=province_official.scope.province_id,
        state=ReportRun.State.RUNNING,
        steps_done=3,
        steps_total=7,
    )
    page = client_for(province_official).get(reverse("province_report_page", args=[2024]))
    text = page.content.decode()
    assert "Đang lập báo cáo: 42%" in text
    assert 'http-equiv="refresh"' in text


def test_a_built_report_is_read_only_by_its_scope(
    year_2024,
    client_for,
    district_official,
    other_district_official,
    django_capture_on_commit_callbacks,
):
    from targets.models import ReportRun

    with django_capture_on_commit_callbacks(execute=True):
        client_for(district_official).post(reverse("district_report_build", args=["218", 2024]))
    run = ReportRun.objects.get()
    assert run.district.code == "218"
    url = reverse("report_run_file", args=[run.pk])
    assert client_for(other_district_official).get(url).status_code == 403
    assert client_for(district_official).get(url).status_code == 200
    build = reverse("district_report_build", args=["218", 2024])
    assert client_for(other_district_official).post(build).status_code == 403
    assert client_for(district_official).get(build).status_code == 405


def test_todays_province_report_covers_its_communes_grouped_by_former_district(
    client_for, make_user, reorganized_units, django_capture_on_commit_callbacks
):
    # From 1/7/2025 there are no districts: the report of 2026 is on the 99 communes of
    # Tỉnh Bắc Ninh, as its dashboard is, not on an empty list of districts.
    from targets.models import CertificationStatus, ReportRun

    set_year(2026, level="province", target="100")
    luc_nam = Commune.objects.in_force(on=datetime.date(2026, 3, 1)).get(code="7444")
    now = timezone.now()
    CertificationStatus.objects.create(
        commune=luc_nam, year=2026, status=Status.CERTIFIED, computed_at=now, changed_at=now
    )
    official = make_user("province", "24", username="tinh-bn-report", on=datetime.date(2026, 3, 1))
    client = client_for(official)

    text = pdf_text(client.get(reverse("province_report", args=[2026])).content)
    assert "Tỉnh Bắc Ninh" in text
    assert "1 (1,0%)" in text and "100% (99 xã)" in text
    assert "Huyện Lục Nam" in text  # the former district, as the dashboard groups it
    assert "(98 xã)" in text  # every commune not certified

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("province_report_build", args=[2026]))
    run = ReportRun.objects.get()
    built = pdf_text(
        b"".join(client.get(reverse("report_run_file", args=[run.pk])).streaming_content)
    )
    assert "1 (1,0%)" in built and "(98 xã)" in built

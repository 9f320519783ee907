"""The commune's survey pages: the hub, paper entry, deletion, export, the QR poster."""

import csv
import datetime
import io
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from surveys.models import Channel, KioskLink, SurveyResponse

HUB = "commune_surveys"


def url(name, code="7444", *args, **query):
    address = reverse(name, args=[code, *args])
    return f"{address}?{urlencode(query)}" if query else address


# --- The hub: /communes/<code>/surveys/ ---------------------------------------------------


@pytest.mark.django_db
def test_commune_staff_see_their_figures_by_month_element_and_question(
    client_for, commune_staff, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2024, 3, 10), satisfied=9, unsatisfied=1)
    make_responses(doi_ngo, datetime.date(2024, 11, 5), satisfied=3, unsatisfied=1)
    make_responses(doi_ngo, datetime.date(2023, 6, 1), satisfied=5)  # another year
    response = client_for(commune_staff).get(url(HUB, year=2024))
    assert response.status_code == 200
    context = response.context
    assert context["trend"].total.responses == 14
    assert context["trend"].total.satisfied == 12
    assert str(context["trend"].total.rate) == "85.7"
    march = context["rows"][2]
    assert (march.label, march.figures.responses, march.figures.satisfied) == ("03/2024", 10, 9)
    html = response.content.decode()
    assert "85,7%" in html  # Vietnamese number format
    assert "Tiếp cận dịch vụ" in html and "Q11" in html
    for name in ("survey_entry", "survey_poster"):
        assert url(name) in html
    assert reverse("survey_import") in html
    assert 'id="survey-trend-7444-2024"' in html  # the chart's data, via json_script


@pytest.mark.django_db
def test_the_hub_shows_quarters_or_the_whole_year(
    client_for, commune_staff, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2024, 2, 10), satisfied=2)
    make_responses(doi_ngo, datetime.date(2024, 3, 10), unsatisfied=2)
    client = client_for(commune_staff)
    quarters = client.get(url(HUB, year=2024, period="quarter")).context["rows"]
    assert [r.figures.responses for r in quarters] == [4, 0, 0, 0]
    assert str(quarters[0].figures.rate) == "50.0"
    year = client.get(url(HUB, year=2024, period="year")).context["rows"]
    assert len(year) == 1 and year[0].figures.responses == 4


@pytest.mark.django_db
def test_the_hub_opens_on_the_latest_year_with_responses(
    client_for, commune_staff, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2023, 2, 10), satisfied=1)
    response = client_for(commune_staff).get(url(HUB))
    assert response.context["year"] == 2023
    assert response.context["years"][-1] == 2023


@pytest.mark.django_db
def test_the_district_and_the_province_see_a_communes_survey_page(
    client_for, district_official, province_official
):
    assert client_for(district_official).get(url(HUB)).status_code == 200
    page = client_for(province_official).get(url(HUB))
    assert page.status_code == 200
    html = page.content.decode()
    # Provincial officials browse: no entry, import or poster for them.
    assert url("survey_entry") not in html and url("survey_poster") not in html


@pytest.mark.django_db
def test_outsiders_cannot_see_a_communes_survey_page(
    client_for, leloi_staff, other_district_official
):
    assert client_for(leloi_staff).get(url(HUB)).status_code == 403
    assert client_for(other_district_official).get(url(HUB)).status_code == 403


@pytest.mark.django_db
def test_an_unknown_commune_is_404(client_for, province_official):
    assert client_for(province_official).get(url(HUB, "99999")).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client):
    for address in (
        url(HUB),
        url("survey_entry"),
        url("survey_poster"),
        url("survey_export", "7444", "csv"),
    ):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_hub_refuses_post(client_for, commune_staff):
    assert client_for(commune_staff).post(url(HUB)).status_code == 405


@pytest.mark.django_db
def test_the_hub_needs_the_same_queries_however_many_responses(
    client_for, commune_staff, doi_ngo, make_responses, django_assert_max_num_queries
):
    # Guards against one query per response (recent entries and their typist) or per
    # question (the shares): everything is aggregated in the database.
    make_responses(doi_ngo, datetime.date(2024, 3, 10), satisfied=40, unsatisfied=5)
    make_responses(
        doi_ngo,
        datetime.date(2024, 5, 10),
        satisfied=10,
        channel=Channel.PAPER,
        entered_by=commune_staff,
    )
    client = client_for(commune_staff)
    # (+1 since units through time: the navigation's current programme year; +1 for the
    # navigation's counts; + the comments; +2: the import batches' ids, read before a
    # commune's responses, SurveyResponseQuerySet.of_communes, for the shares and the
    # latest entries)
    with django_assert_max_num_queries(20):
        assert client.get(url(HUB, year=2024)).status_code == 200


# --- Paper entry ----------------------------------------------------------------------------


def paper_form(day="15/03/2024", **answers):
    data = {"answered_on": day, **{f"Q{n}": "4" for n in range(1, 11)}, "Q11": "5"}
    data.update(answers)
    return data


@pytest.mark.django_db
def test_staff_type_a_paper_form_and_get_a_fresh_one_with_the_same_date(
    client_for, commune_staff, questionnaire, recompute
):
    client = client_for(commune_staff)
    page = client.get(url("survey_entry"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="answered_on"' in html and "autofocus" in html
    assert html.count('inputmode="numeric"') == 12  # the date and eleven answers

    response = client.post(url("survey_entry"), paper_form(Q9="", Q11="2"))
    assert response.status_code == 302
    assert response["Location"] == url("survey_entry") + "?date=2024-03-15"
    saved = SurveyResponse.objects.get()
    assert saved.channel == Channel.PAPER and saved.entered_by == commune_staff
    assert saved.answered_on == datetime.date(2024, 3, 15)
    assert saved.satisfied is False  # the overall question says 2
    assert "Q9" not in saved.answers and saved.answers["Q1"] == 4
    recompute.assert_called_once_with(commune_id=saved.commune_id, year=2024)

    following = client.get(response["Location"])
    assert 'value="15/03/2024"' in following.content.decode()
    assert "Đã lưu phiếu ngày 15/03/2024" in following.content.decode()
    assert following.context["entered_today"] == 1


@pytest.mark.django_db
def test_a_typo_in_a_paper_form_is_shown_and_nothing_saved(
    client_for, commune_staff, questionnaire
):
    client = client_for(commune_staff)
    for bad in (
        paper_form(Q3="7"),
        paper_form(Q11=""),
        paper_form(day="31/02/2024"),
        paper_form(day=(timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")),
    ):
        response = client.post(url("survey_entry"), bad)
        assert response.status_code == 400
        assert response.context["form"].errors
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_only_commune_staff_enter_paper_forms(client_for, district_official, province_official):
    assert client_for(district_official).get(url("survey_entry")).status_code == 403
    assert client_for(province_official).post(url("survey_entry"), paper_form()).status_code == 403
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_enter_forms_for_another_commune(client_for, leloi_staff, questionnaire):
    client = client_for(leloi_staff)
    assert client.get(url("survey_entry")).status_code == 403
    assert client.post(url("survey_entry"), paper_form()).status_code == 403
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_paper_entry_refuses_put(client_for, commune_staff):
    assert client_for(commune_staff).put(url("survey_entry")).status_code == 405


# --- Deleting a mistaken entry --------------------------------------------------------------


@pytest.fixture
def paper_entry(doi_ngo, make_responses, commune_staff):
    return make_responses(
        doi_ngo,
        datetime.date(2024, 3, 1),
        satisfied=1,
        channel=Channel.PAPER,
        entered_by=commune_staff,
    )[0]


@pytest.mark.django_db
def test_staff_delete_a_mistaken_entry_and_the_history_keeps_it(
    client_for, commune_staff, paper_entry, recompute
):
    client = client_for(commune_staff)
    assert "Xóa phiếu nhập nhầm" in client.get(url(HUB, year=2024)).content.decode()
    response = client.post(url("survey_response_delete", "7444", paper_entry.pk))
    assert response.status_code == 302 and response["Location"] == url(HUB)
    assert not SurveyResponse.objects.filter(pk=paper_entry.pk).exists()
    record = SurveyResponse.history.get(id=paper_entry.pk, history_type="-")
    assert record.history_user == commune_staff
    assert record.answered_on == paper_entry.answered_on
    recompute.assert_called_once_with(commune_id=paper_entry.commune_id, year=2024)
    page = client.get(url(HUB, year=2024)).content.decode()
    assert "Phiếu ngày 01/03/2024, xóa lúc" in page


@pytest.mark.django_db
def test_an_entry_older_than_the_allowed_days_cannot_be_deleted(
    client_for, commune_staff, paper_entry, settings
):
    settings.SURVEY_DELETE_WITHIN_DAYS = 3
    SurveyResponse.objects.filter(pk=paper_entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3, minutes=1)
    )
    client = client_for(commune_staff)
    assert "Xóa phiếu nhập nhầm" not in client.get(url(HUB, year=2024)).content.decode()
    assert client.post(url("survey_response_delete", "7444", paper_entry.pk)).status_code == 403
    assert SurveyResponse.objects.filter(pk=paper_entry.pk).exists()


@pytest.mark.django_db
def test_kiosk_and_imported_responses_cannot_be_deleted_by_staff(
    client_for, commune_staff, doi_ngo, make_responses
):
    kiosk = make_responses(doi_ngo, datetime.date(2024, 3, 1), unsatisfied=1)[0]
    imported = make_responses(
        doi_ngo, datetime.date(2024, 3, 1), unsatisfied=1, channel=Channel.IMPORT
    )[0]
    client = client_for(commune_staff)
    for response in (kiosk, imported):
        assert client.post(url("survey_response_delete", "7444", response.pk)).status_code == 403
    assert SurveyResponse.objects.count() == 2


@pytest.mark.django_db
def test_outsiders_and_other_roles_cannot_delete_an_entry(
    client_for, leloi_staff, district_official, paper_entry, client
):
    address = url("survey_response_delete", "7444", paper_entry.pk)
    assert client_for(leloi_staff).post(address).status_code == 403
    assert client_for(district_official).post(address).status_code == 403
    # The entry of one commune is not reachable through another commune's address.
    assert (
        client_for(leloi_staff)
        .post(url("survey_response_delete", "7219", paper_entry.pk))
        .status_code
        == 404
    )
    client.logout()
    assert client.post(address)["Location"].startswith("/accounts/login/")
    assert SurveyResponse.objects.filter(pk=paper_entry.pk).exists()


@pytest.mark.django_db
def test_deleting_needs_post(client_for, commune_staff, paper_entry):
    assert (
        client_for(commune_staff)
        .get(url("survey_response_delete", "7444", paper_entry.pk))
        .status_code
        == 405
    )


# --- Export ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_download_as_csv(client_for, district_official, doi_ngo, make_responses):
    make_responses(doi_ngo, datetime.date(2024, 4, 2), satisfied=3, unsatisfied=1)
    response = client_for(district_official).get(
        url("survey_export", "7444", "csv", year=2024, period="quarter")
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="khao-sat-7444-2024-quarter.csv"' in response["Content-Disposition"]
    # The reader's conventions by default: a Vietnamese-locale Excel reads these as they are.
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Mã xã", "Xã", "Kỳ"]
    assert rows[1][-1] == "chưa báo cáo"  # no answer in the first quarter: never a 0
    assert rows[2] == [
        "7444",
        "Thị trấn Đồi Ngô",
        "Quý 2/2024",
        "01/04/2024",
        "30/06/2024",
        "4",
        "3",
        "75,0",
    ]


@pytest.mark.django_db
def test_the_figures_download_as_iso_csv_for_machines(
    client_for, district_official, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2024, 4, 2), satisfied=5, unsatisfied=3)
    response = client_for(district_official).get(
        url("survey_export", "7444", "csv", year=2024, period="quarter", style="iso")
    )
    assert 'filename="khao-sat-7444-2024-quarter-iso.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == ""
    assert rows[2][3:] == ["2024-04-01", "2024-06-30", "8", "5", "62.5"]


@pytest.mark.django_db
def test_the_figures_csv_in_english_uses_a_decimal_point(
    client_for, district_official, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2024, 4, 2), satisfied=5, unsatisfied=3)
    response = client_for(district_official).get(
        url("survey_export", "7444", "csv", year=2024, period="quarter"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][-1] == "not reported"
    assert rows[2][3:] == ["01/04/2024", "30/06/2024", "8", "5", "62.5"]


@pytest.mark.django_db
def test_the_figures_download_as_xlsx_with_numbers_as_numbers(
    client_for, province_official, doi_ngo, make_responses
):
    make_responses(doi_ngo, datetime.date(2024, 4, 2), satisfied=3, unsatisfied=1)
    response = client_for(province_official).get(url("survey_export", "7444", "xlsx", year=2024))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    periods, questions = workbook.worksheets
    assert periods["A1"].font.bold
    assert [c.value for c in periods[5]][:6] == [
        "04/2024",
        datetime.datetime(2024, 4, 1),
        datetime.datetime(2024, 4, 30),
        4,
        3,
        0.75,
    ]
    assert periods["F5"].number_format == "0.0%"
    assert questions["A2"].value == "Tiếp cận dịch vụ"
    codes = [row[0].value for row in questions.iter_rows(min_row=2)]
    assert "Q11" in codes


@pytest.mark.django_db
def test_outsiders_cannot_export_a_communes_figures(client_for, leloi_staff):
    assert client_for(leloi_staff).get(url("survey_export", "7444", "csv")).status_code == 403


@pytest.mark.django_db
def test_export_refuses_post(client_for, commune_staff):
    assert client_for(commune_staff).post(url("survey_export", "7444", "xlsx")).status_code == 405


# --- The QR poster and the link rotation ----------------------------------------------------


@pytest.mark.django_db
def test_staff_print_a_poster_with_the_qr_code_of_their_kiosk(client_for, commune_staff):
    response = client_for(commune_staff).get(url("survey_poster"))
    assert response.status_code == 200
    link = KioskLink.objects.get(commune__code="7444")
    html = response.content.decode()
    assert f"http://testserver/s/{link.token}/" in html
    assert '<svg class="qr-code"' in html
    assert "Thị trấn Đồi Ngô" in html and "quét mã QR" in html


@pytest.mark.django_db
def test_the_poster_prints_the_public_address_when_one_is_set(client_for, commune_staff, settings):
    settings.SURVEY_PUBLIC_BASE_URL = "https://thanthien.bacgiang.gov.vn/"
    html = client_for(commune_staff).get(url("survey_poster")).content.decode()
    token = KioskLink.objects.get(commune__code="7444").token
    assert f"https://thanthien.bacgiang.gov.vn/s/{token}/" in html


@pytest.mark.django_db
def test_the_district_prints_its_communes_posters_but_not_others(
    client_for, district_official, other_district_official, province_official
):
    assert client_for(district_official).get(url("survey_poster")).status_code == 200
    assert client_for(other_district_official).get(url("survey_poster")).status_code == 403
    assert client_for(province_official).get(url("survey_poster")).status_code == 403


@pytest.mark.django_db
def test_the_poster_refuses_post(client_for, commune_staff):
    assert client_for(commune_staff).post(url("survey_poster")).status_code == 405


@pytest.mark.django_db
def test_staff_rotate_the_kiosk_link(client_for, commune_staff, kiosk_link):
    old = kiosk_link.token
    response = client_for(commune_staff).post(url("kiosk_rotate"))
    assert response.status_code == 302 and response["Location"] == url("survey_poster")
    kiosk_link.refresh_from_db()
    assert kiosk_link.token != old and len(kiosk_link.token) >= 32


@pytest.mark.django_db
def test_only_staff_in_scope_rotate_a_link(
    client_for, leloi_staff, other_district_official, province_official, kiosk_link, client
):
    for user in (leloi_staff, other_district_official, province_official):
        assert client_for(user).post(url("kiosk_rotate")).status_code == 403
    client.logout()
    assert client.post(url("kiosk_rotate"))["Location"].startswith("/accounts/login/")
    assert client_for(leloi_staff).get(url("kiosk_rotate")).status_code == 405
    assert KioskLink.objects.get(pk=kiosk_link.pk).token == kiosk_link.token

"""The year's deadlines: after the submission deadline a commune's checklist is
read-only, in the services as on the pages, unless its reviewer grants an extension."""

import datetime

import pytest
from django.urls import reverse

from communes import selectors, services, uploads
from communes.models import ChecklistDeadline, DeadlineExtension, Evidence, EvidenceState
from tests.clock import today_fixture
from tests.communes.conftest import YEAR, upload

pytestmark = pytest.mark.django_db

# Every test runs on this day: the deadlines are set around it, and a suite that crosses
# midnight in Hanoi (17:00 UTC) must not find "today" moved under them.
TODAY = datetime.date(2026, 11, 20)
DAY = datetime.timedelta(days=1)
frozen_today = today_fixture(TODAY)


def set_deadline(submission, review=None):
    ChecklistDeadline.objects.update_or_create(
        year=YEAR,
        defaults={"submission_deadline": submission, "review_deadline": review or submission},
    )


def save(commune, criterion, by, *, version=0, submit=False, files=()):
    return services.evidence_save(
        commune=commune,
        criterion=criterion,
        year=YEAR,
        by=by,
        version=version,
        note="Ảnh băng rôn",
        files=list(files),
        submit=submit,
    )


def photo():
    return uploads.check_upload(upload())


@pytest.fixture
def closed(doi_ngo):
    """Yesterday was the last day to submit YEAR's evidence."""
    set_deadline(TODAY - DAY, TODAY + 10 * DAY)


# --- The one rule: deadline_state ---------------------------------------------------------


def test_days_left_counts_to_the_last_day_and_below_after(doi_ngo):
    assert selectors.deadline_state(commune=doi_ngo, year=YEAR).days_left is None
    set_deadline(TODAY)
    state = selectors.deadline_state(commune=doi_ngo, year=YEAR)
    assert (state.days_left, state.is_open) == (0, True)  # the last day is still open
    set_deadline(TODAY - 2 * DAY)
    state = selectors.deadline_state(commune=doi_ngo, year=YEAR)
    assert (state.days_left, state.is_open) == (-2, False)


# --- The services refuse writes after the deadline ---------------------------------------


def test_before_the_deadline_commune_staff_save_and_submit(
    doi_ngo, evidence_criterion, commune_staff, recompute
):
    set_deadline(TODAY + 5 * DAY)
    result = save(doi_ngo, evidence_criterion, commune_staff, files=[photo()], submit=True)
    assert result.submitted


def test_after_the_deadline_every_write_of_the_commune_is_refused(
    doi_ngo, evidence_criterion, commune_staff, district_official, recompute
):
    draft = save(doi_ngo, evidence_criterion, commune_staff, files=[photo()]).evidence
    set_deadline(TODAY - DAY)
    with pytest.raises(services.ChecklistClosed):
        save(doi_ngo, evidence_criterion, commune_staff, version=draft.version)
    with pytest.raises(services.ChecklistClosed):
        services.evidence_submit(evidence_id=draft.pk, by=commune_staff, version=draft.version)
    with pytest.raises(services.ChecklistClosed):
        services.evidence_file_delete(
            file_id=draft.files.get().pk, by=commune_staff, version=draft.version
        )
    draft.refresh_from_db()
    assert draft.state == EvidenceState.DRAFT and draft.files.count() == 1


def test_after_the_deadline_approved_evidence_cannot_be_reopened(
    doi_ngo, evidence_criterion, commune_staff, district_official, recompute
):
    sent = save(doi_ngo, evidence_criterion, commune_staff, files=[photo()], submit=True).evidence
    approved = services.evidence_approve(
        evidence_id=sent.pk, by=district_official, version=sent.version
    )
    set_deadline(TODAY - DAY)
    with pytest.raises(services.ChecklistClosed):
        services.evidence_reopen(
            evidence_id=approved.pk, by=commune_staff, version=approved.version
        )


def test_reviewers_still_review_what_was_sent_in_time(
    doi_ngo, evidence_criterion, commune_staff, district_official, recompute
):
    sent = save(doi_ngo, evidence_criterion, commune_staff, files=[photo()], submit=True).evidence
    set_deadline(TODAY - DAY, TODAY + 10 * DAY)
    approved = services.evidence_approve(
        evidence_id=sent.pk, by=district_official, version=sent.version
    )
    assert approved.state == EvidenceState.APPROVED


# --- The pages ----------------------------------------------------------------------------


def test_the_checklist_shows_the_days_left(doi_ngo, client_for, commune_staff):
    set_deadline(TODAY + 5 * DAY, TODAY + 20 * DAY)
    page = client_for(commune_staff).get(reverse("checklist", args=[doi_ngo.code, YEAR]))
    text = page.content.decode()
    assert f"Hạn nộp minh chứng: {(TODAY + 5 * DAY):%d/%m/%Y} (còn 5 ngày)." in text
    assert "Nhập minh chứng" in text


def test_a_closed_checklist_is_read_only_for_its_commune(
    closed, doi_ngo, evidence_criterion, client_for, commune_staff
):
    client = client_for(commune_staff)
    text = client.get(reverse("checklist", args=[doi_ngo.code, YEAR])).content.decode()
    assert "Đã quá hạn nộp minh chứng" in text
    assert "Nhập minh chứng" not in text
    url = reverse("evidence_detail", args=[doi_ngo.code, YEAR, evidence_criterion.code])
    assert 'name="note"' not in client.get(url).content.decode()  # no form to fill
    response = client.post(url, {"version": 0, "note": "muộn", "action": "save"})
    assert response.status_code == 302  # told why, nothing saved
    assert not Evidence.objects.filter(commune=doi_ngo, year=YEAR).exists()


# --- Extensions ---------------------------------------------------------------------------


def extend(client, code="7444", until=None, note="Xã bị lũ, mất điện hai tuần."):
    return client.post(
        reverse("deadline_extend", args=[code, YEAR]),
        {"until": (until or TODAY + 7 * DAY).strftime("%d/%m/%Y"), "note": note},
    )


def test_the_reviewer_extends_and_the_commune_submits_again(
    closed, doi_ngo, evidence_criterion, client_for, district_official, commune_staff, recompute
):
    response = extend(client_for(district_official))
    assert response.status_code == 302
    extension = DeadlineExtension.objects.get(commune=doi_ngo, year=YEAR)
    assert (extension.until, extension.granted_by) == (TODAY + 7 * DAY, district_official)
    # The grant is kept in the history with who and the note.
    record = extension.history.get()
    assert (record.history_user, record.note) == (district_official, "Xã bị lũ, mất điện hai tuần.")
    assert save(doi_ngo, evidence_criterion, commune_staff, files=[photo()], submit=True).submitted
    page = client_for(commune_staff).get(reverse("checklist", args=[doi_ngo.code, YEAR]))
    assert "Đã được gia hạn" in page.content.decode()


def test_a_second_extension_replaces_the_first_and_both_stay_in_the_history(
    closed, doi_ngo, client_for, district_official
):
    client = client_for(district_official)
    extend(client, until=TODAY + 3 * DAY)
    extend(client, until=TODAY + 9 * DAY, note="Thêm thời gian chụp ảnh")
    extension = DeadlineExtension.objects.get(commune=doi_ngo, year=YEAR)
    assert extension.until == TODAY + 9 * DAY
    assert extension.history.count() == 2


def test_an_extension_must_end_after_the_deadline_and_give_a_reason(
    closed, doi_ngo, client_for, district_official
):
    client = client_for(district_official)
    extend(client, until=TODAY - 3 * DAY)
    extend(client, note="")
    assert not DeadlineExtension.objects.exists()


def test_only_the_communes_reviewer_extends(
    closed,
    doi_ngo,
    client_for,
    commune_staff,
    other_district_official,
    province_official,
    client,
):
    assert extend(client_for(commune_staff)).status_code == 403
    assert extend(client_for(other_district_official)).status_code == 403
    assert extend(client_for(province_official)).status_code == 403
    assert extend(client_for(None)).status_code == 302  # to login
    assert not DeadlineExtension.objects.exists()


def test_an_extension_is_granted_by_post_only(closed, client_for, district_official):
    url = reverse("deadline_extend", args=["7444", YEAR])
    assert client_for(district_official).get(url).status_code == 405


# --- Who is late, who has an extension ----------------------------------------------------


def test_the_deadlines_screen_lists_late_and_extended_communes(
    closed, doi_ngo, client_for, district_official, django_assert_max_num_queries
):
    client = client_for(district_official)
    extend(client)
    # Guards a query per commune (extension, evidence sent): a fixed number for the table.
    # (+1: the communes listed are those of the year, read on its reference date; +1: the
    # late and the extended communes named above the table are read apart from its page)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("deadlines") + f"?year={YEAR}")
    text = response.content.decode()
    assert response.status_code == 200
    assert f"Gia hạn đến {(TODAY + 7 * DAY):%d/%m/%Y}" in text
    assert "Xã bị lũ, mất điện hai tuần." in text
    assert "Quá hạn" in text  # the other communes of Lục Nam sent nothing
    assert "Phường Lê Lợi" not in text  # another district's


def test_the_deadlines_screen_counts_and_pages_in_sql_whatever_the_scope(
    closed, doi_ngo, client_for, district_official, province_official
):
    """The province's 209 communes cost the queries of Lục Nam's 25: the late and extended
    communes are counted, and the table paged, by the database."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from communes.views import DEADLINE_PAGE

    extend(client_for(district_official))
    counted = {}
    for user in (district_official, province_official):
        client = client_for(user)
        client.get(reverse("deadlines") + f"?year={YEAR}")  # the session, the nav counts
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("deadlines") + f"?year={YEAR}")
        assert response.status_code == 200
        counted[user.username] = len(queries)
        assert len(response.context["page"].object_list) <= DEADLINE_PAGE
    assert counted[province_official.username] == counted[district_official.username]
    page = client_for(province_official).get(reverse("deadlines") + f"?year={YEAR}")
    # Every commune but Đồi Ngô (extended) sent nothing and is late: 208 of 209.
    assert page.context["counts"] == {"all": 209, "late": 208, "extended": 1}
    assert page.context["page"].paginator.num_pages == 3
    assert len(page.context["late"]) == 30
    late = client_for(province_official).get(reverse("deadlines") + f"?year={YEAR}&state=late")
    assert late.context["page"].paginator.count == 208
    assert all(row.is_late for row in late.context["page"].object_list)
    extended = client_for(province_official).get(
        reverse("deadlines") + f"?year={YEAR}&state=extended"
    )
    assert [row.commune.name for row in extended.context["page"].object_list] == [doi_ngo.name]
    assert not extended.context["page"].object_list[0].is_late


def test_a_year_without_deadlines_lists_every_commune_none_late(client_for, province_official):
    page = client_for(province_official).get(reverse("deadlines") + f"?year={YEAR}")
    assert page.context["counts"] == {"all": 209, "late": 0, "extended": 0}
    assert len(page.context["page"].object_list) == 100
    assert "Năm này chưa đặt hạn nộp." in page.content.decode()


def test_the_deadlines_screen_is_for_reviewers_and_the_province(
    closed, client_for, commune_staff, province_official
):
    assert client_for(commune_staff).get(reverse("deadlines")).status_code == 403
    page = client_for(province_official).get(reverse("deadlines") + f"?year={YEAR}")
    assert page.status_code == 200
    assert "Phường Lê Lợi" in page.content.decode()
    assert 'name="until"' not in page.content.decode()  # the province looks, does not extend
    assert client_for(province_official).post(reverse("deadlines")).status_code == 405


def test_the_reviewers_queue_shows_the_review_days_left(client_for, district_official):
    ChecklistDeadline.objects.create(
        year=TODAY.year, submission_deadline=TODAY, review_deadline=TODAY + 4 * DAY
    )
    page = client_for(district_official).get(reverse("reviews")).content.decode()
    assert f"Hạn duyệt năm nay: {(TODAY + 4 * DAY):%d/%m/%Y} (còn 4 ngày)." in page


def test_todays_provincial_reviewer_sees_the_late_communes_and_extends(
    client_for, make_user, reorganized_units
):
    # From 1/7/2025 the province's reviewers do what district officials did.
    from communes.models import Commune, Role
    from targets.models import YearTarget

    YearTarget.objects.create(year=2026, percent=100)
    ChecklistDeadline.objects.create(
        year=2026, submission_deadline=TODAY - DAY, review_deadline=TODAY + 10 * DAY
    )
    on = datetime.date(2026, 3, 1)
    reviewer = make_user(Role.PROVINCE_REVIEWER, "24", username="thamdinh-dl", on=on)
    client = client_for(reviewer)

    page = client.get(reverse("deadlines") + "?year=2026")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Xã Lục Nam" in text and 'name="until"' in text

    response = client.post(
        reverse("deadline_extend", args=["7444", 2026]),
        {"until": (TODAY + 7 * DAY).strftime("%d/%m/%Y"), "note": "Mạng chập chờn cả tuần."},
    )
    assert response.status_code == 302
    extension = DeadlineExtension.objects.get()
    assert extension.commune == Commune.objects.in_force(on=on).get(code="7444")


def test_the_deadlines_screen_shows_a_page_of_rows_and_narrows_by_search_and_state(
    closed, client_for, province_official, doi_ngo
):
    from communes.models import Commune

    DeadlineExtension.objects.create(
        commune=doi_ngo, year=YEAR, until=TODAY + 5 * DAY, note="Lũ", granted_by=province_official
    )
    client = client_for(province_official)
    everything = Commune.objects.in_force_in(YEAR).count()
    first = client.get(reverse("deadlines"), {"year": YEAR})
    assert first.context["page"].paginator.count == everything > 100
    assert len(first.context["page"].object_list) == 100
    text = first.content.decode()
    # Every other commune sent nothing: late, but the summary names only the first 30.
    assert first.context["counts"]["late"] == everything - 1
    assert len(first.context["late"]) == 30
    assert f"và {everything - 1 - 30} xã khác" in text
    assert f'href="?year={YEAR}&amp;page=2"' in text

    found = client.get(reverse("deadlines"), {"year": YEAR, "q": "doi ngo"})
    assert [r.commune.code for r in found.context["page"].object_list] == [doi_ngo.code]
    extended = client.get(reverse("deadlines"), {"year": YEAR, "state": "extended"})
    assert [r.commune.code for r in extended.context["page"].object_list] == [doi_ngo.code]
    late = client.get(reverse("deadlines"), {"year": YEAR, "state": "late", "page": 2})
    assert all(r.is_late for r in late.context["page"].object_list)
    assert late.context["page"].number == 2


def test_a_district_official_cannot_list_another_districts_deadlines(
    closed, client_for, district_official
):
    response = client_for(district_official).get(
        reverse("deadlines"), {"year": YEAR, "district": "213"}
    )
    assert list(response.context["page"].object_list) == []
    assert "ngoài phạm vi của bạn" in response.content.decode()
    searched = client_for(district_official).get(
        reverse("deadlines"), {"year": YEAR, "q": "le loi"}
    )
    assert list(searched.context["page"].object_list) == []

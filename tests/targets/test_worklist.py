"""The worklist ("needs my action"), each user's landing: what each role sees, and only
within its scope."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune, Criterion, Evidence, EvidenceState, Role
from targets.models import Status
from tests.clock import today_is
from tests.conftest import DOI_NGO, LE_LOI, LUC_NAM
from tests.targets.dashboard_data import give_status

WORK = "/work/"


def evidence(commune, code, state, *, year=2025, days_ago=0, comment=""):
    return Evidence.objects.create(
        commune=commune,
        criterion=Criterion.objects.get(code=code),
        year=year,
        state=state,
        submitted_at=timezone.now() - datetime.timedelta(days=days_ago),
        review_comment=comment,
    )


def test_login_lands_on_the_worklist(client, make_user):
    make_user(Role.DISTRICT, LUC_NAM, username="huyen.vao")
    response = client.post(
        reverse("login"), {"username": "huyen.vao", "password": "pw-123456!"}, follow=True
    )
    assert response.redirect_chain[-1][0] == WORK
    assert "Minh chứng chờ duyệt" in response.content.decode()


def test_commune_staff_see_returned_items_with_the_note_drafts_and_what_is_missing(
    client_for, commune_staff, doi_ngo, le_loi
):
    evidence(doi_ngo, "CSVC-01", EvidenceState.REJECTED, comment="Ảnh mờ, chụp lại")
    evidence(doi_ngo, "CSVC-02", EvidenceState.DRAFT)
    evidence(le_loi, "CSVC-03", EvidenceState.REJECTED, comment="Của Lê Lợi")
    this_year = timezone.localdate().year
    evidence(doi_ngo, "CSVC-04", EvidenceState.APPROVED, year=this_year)

    response = client_for(commune_staff).get(WORK)

    work = response.context["work"]
    assert [e.criterion.code for e in work.returned] == ["CSVC-01"]
    assert [e.criterion.code for e in work.drafts] == ["CSVC-02"]
    missing = {c.code for c in work.missing}
    assert "CSVC-04" not in missing and "CSVC-01" in missing
    assert "HL-01" not in missing  # computed from surveys, nothing to send
    html = response.content.decode()
    assert "Ảnh mờ, chụp lại" in html
    assert "Của Lê Lợi" not in html
    assert work.deadlines == []  # the year has no deadlines set


@today_is(datetime.date(2026, 11, 20))  # the days left are counted from it
def test_the_communes_worklist_shows_its_deadlines_with_the_days_left(
    client_for, commune_staff, doi_ngo
):
    from communes.models import ChecklistDeadline, DeadlineExtension

    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    ChecklistDeadline.objects.create(
        year=today.year, submission_deadline=today + 3 * day, review_deadline=today + 20 * day
    )
    page = client_for(commune_staff).get(WORK).content.decode()
    assert f"Nộp minh chứng đến hết ngày {(today + 3 * day):%d/%m/%Y} (còn 3 ngày)." in page
    assert f"Hạn duyệt minh chứng: {(today + 20 * day):%d/%m/%Y}." in page
    # An extension moves the commune's own last day.
    DeadlineExtension.objects.create(
        commune=doi_ngo, year=today.year, until=today + 9 * day, note="Lũ", granted_by=commune_staff
    )
    page = client_for(commune_staff).get(WORK).content.decode()
    assert f"Nộp minh chứng đến hết ngày {(today + 9 * day):%d/%m/%Y} (còn 9 ngày)." in page


def test_reviewers_see_their_queue_oldest_first_with_overdue_counted(
    client_for, district_official, doi_ngo, le_loi
):
    evidence(doi_ngo, "CSVC-01", EvidenceState.SUBMITTED, days_ago=2)
    evidence(doi_ngo, "CSVC-02", EvidenceState.SUBMITTED, days_ago=30)
    evidence(le_loi, "CSVC-03", EvidenceState.SUBMITTED, days_ago=40)

    review = client_for(district_official).get(WORK).context["review"]

    assert [e.criterion.code for e in review.queue] == ["CSVC-02", "CSVC-01"]
    assert (review.total, review.overdue) == (2, 1)


def test_the_province_sees_the_backlog_per_district_and_the_communes_furthest_away(
    client_for, province_official, doi_ngo, le_loi
):
    evidence(doi_ngo, "CSVC-01", EvidenceState.SUBMITTED, days_ago=30)
    evidence(doi_ngo, "CSVC-02", EvidenceState.SUBMITTED, days_ago=1)
    evidence(le_loi, "CSVC-03", EvidenceState.SUBMITTED, days_ago=2)
    many = [{"code": "evidence_missing", "params": {"criterion": c}} for c in ("A", "B", "C")]
    give_status(le_loi, 2025, Status.NOT_MET, many)
    give_status(doi_ngo, 2025, Status.IN_PROGRESS, many[:1])
    give_status(Commune.objects.exclude(code__in=[DOI_NGO, LE_LOI]).first(), 2025, Status.CERTIFIED)

    from tests.targets.dashboard_data import set_targets

    set_targets()
    context = client_for(province_official).get(WORK + "?year=2025").context

    backlog = {d["code"]: (d["waiting"], d["overdue"]) for d in context["backlog"]}
    assert backlog == {LUC_NAM: (2, 1), "213": (1, 0)}
    assert context["backlog"][0]["code"] == LUC_NAM  # most overdue first
    assert [s.commune.code for s in context["furthest"]] == [LE_LOI, DOI_NGO]
    # Districts furthest from the year's target first (none has reached it here).
    gaps = [d.progress.gap for d in context["behind"]]
    assert gaps == sorted(gaps, reverse=True) and len(gaps) == 10


def test_an_administrator_sees_the_backlog_and_the_gaps_per_province_not_per_district(
    client_for, admin_user, doi_ngo, le_loi
):
    from communes.models import Province

    evidence(doi_ngo, "CSVC-01", EvidenceState.SUBMITTED, days_ago=30)
    evidence(le_loi, "CSVC-03", EvidenceState.SUBMITTED, days_ago=2)
    from tests.targets.dashboard_data import set_targets

    set_targets()
    response = client_for(admin_user).get(WORK + "?year=2025")
    context = response.context
    province = Province.objects.get(pk=doi_ngo.province_id)
    # One row for the province, both communes' evidence in it (not a row per district).
    assert [(d["code"], d["waiting"], d["overdue"]) for d in context["backlog"]] == [
        (province.code, 2, 1)
    ]
    assert context["national"] and {d.code for d in context["behind"]} == {province.code}
    assert context["overall"].total == context["behind"][0].progress.total == 209
    page = response.content.decode()
    assert f"{reverse('reviews')}?province={province.code}" in page
    assert reverse("province_detail", args=[province.code]) in page
    assert "Toàn quốc: 0/209 xã đạt chuẩn" in page
    assert "Huyện Lục Nam" not in page


def test_the_worklist_refuses_wrong_methods_and_unscoped_users(client_for, commune_staff, db):
    from django.contrib.auth import get_user_model

    assert client_for(commune_staff).post(WORK).status_code == 405
    nobody = get_user_model().objects.create_user("khong-vai-tro", password="x-123456!")
    assert client_for(nobody).get(WORK).status_code == 403
    assert client_for(None).get(WORK)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("who", "most"),
    # Session, user, scope, (the commune the navigation names,) the navigation's counts,
    # notifications, then the role's own reads: guards against a query per row.
    # (+2 for commune staff and the province since units through time: the programme
    # years, and the year's reference date or the navigation's current programme year)
    # (+ issue 14's deadline reads)
    # (+1 for the province: the provinces merged into it, read once, then cached)
    [
        ("commune_staff", 14),
        ("district_official", 10),
        ("province_official", 15),
        ("admin_user", 14),
    ],
)
def test_the_worklist_query_count_does_not_grow_with_its_rows(
    client_for, request, who, most, doi_ngo, le_loi, django_assert_max_num_queries
):
    for code in ("CSVC-01", "CSVC-02", "CSVC-03", "CSVC-04", "CSVC-05"):
        evidence(doi_ngo, code, EvidenceState.SUBMITTED, days_ago=9)
        evidence(le_loi, code, EvidenceState.REJECTED, comment="x")
    for commune in Commune.objects.all()[:30]:
        give_status(commune, 2025, Status.NOT_MET, [{"code": "x", "params": {}}])
    client = client_for(request.getfixturevalue(who))
    with django_assert_max_num_queries(most):
        assert client.get(WORK + "?year=2025").status_code == 200


# --- The navigation's counts -------------------------------------------------------------------


def test_the_navigation_counts_returned_items_for_staff_and_waiting_ones_for_reviewers(
    client_for, commune_staff, district_official, province_official, doi_ngo, le_loi
):
    from communes.selectors import nav_counts

    evidence(doi_ngo, "CSVC-01", EvidenceState.REJECTED)
    evidence(doi_ngo, "CSVC-02", EvidenceState.SUBMITTED, days_ago=30)
    evidence(le_loi, "CSVC-03", EvidenceState.SUBMITTED)

    assert nav_counts(commune_staff) == {"unread": 0, "returned": 1, "waiting": 1}
    assert nav_counts(district_official) == {"unread": 0, "waiting": 1, "overdue": 1}
    assert nav_counts(province_official) == {"unread": 0, "waiting": 2, "overdue": 1}
    html = client_for(commune_staff).get(WORK).content.decode()
    assert f'href="{WORK}#returned"' in html
    html = client_for(district_official).get(WORK).content.decode()
    assert 'href="/reviews/?overdue=true"' in html


# --- The checklist, narrowed to what needs action ------------------------------------------------


def test_the_checklist_can_show_only_what_the_commune_must_act_on(
    client_for, commune_staff, doi_ngo
):
    evidence(doi_ngo, "CSVC-01", EvidenceState.REJECTED, comment="Sửa lại")
    evidence(doi_ngo, "CSVC-02", EvidenceState.APPROVED)
    url = reverse("checklist", args=[DOI_NGO, 2025])

    full = client_for(commune_staff).get(url).context
    action = client_for(commune_staff).get(url + "?show=action").context
    returned = client_for(commune_staff).get(url + "?show=returned").context

    codes = lambda groups: {r.criterion.code for g in groups for r in g.rows}  # noqa: E731
    assert {"CSVC-01", "CSVC-02"} <= codes(full["groups"])
    assert "CSVC-02" not in codes(action["groups"]) and "CSVC-01" in codes(action["groups"])
    assert codes(returned["groups"]) == {"CSVC-01"}


# --- The province reads any district's queue ------------------------------------------------


def test_the_province_reads_a_districts_queue_without_review_buttons(
    client_for, province_official, doi_ngo, le_loi
):
    evidence(doi_ngo, "CSVC-01", EvidenceState.SUBMITTED)
    evidence(le_loi, "CSVC-02", EvidenceState.SUBMITTED)

    response = client_for(province_official).get(reverse("reviews") + f"?district={LUC_NAM}")

    assert [e.commune.code for e in response.context["page"].object_list] == [DOI_NGO]
    assert response.context["read_only"] is True
    assert "Xem và duyệt" not in response.content.decode()


def test_a_reviewer_cannot_widen_the_queue_to_another_district(
    client_for, district_official, le_loi
):
    evidence(le_loi, "CSVC-02", EvidenceState.SUBMITTED)
    response = client_for(district_official).get(reverse("reviews") + "?district=213")
    assert list(response.context["page"].object_list) == []


@today_is(datetime.date(2026, 11, 20))
def test_the_reviewers_worklist_shows_the_years_deadlines(client_for, district_official):
    from communes.models import ChecklistDeadline

    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    ChecklistDeadline.objects.create(
        year=today.year, submission_deadline=today - day, review_deadline=today + 6 * day
    )
    page = client_for(district_official).get(WORK).content.decode()
    assert f"Đã quá hạn nộp minh chứng ({(today - day):%d/%m/%Y})." in page
    assert f"Hạn duyệt minh chứng: {(today + 6 * day):%d/%m/%Y}." in page
    assert reverse("deadlines") in page

"""The commune's pages name who reviews its evidence: its district while it has one, the
province where there is none (from 1/7/2025)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from communes.models import Commune, Criterion, Evidence, EvidenceState, Role
from targets.models import YearTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def years(reorganized_units):
    for year, percent in ((2024, 60), (2026, 100)):
        YearTarget.objects.create(year=year, percent=percent)


def _submitted(code, on, year):
    commune = Commune.objects.in_force(on=on).get(code=code)
    criterion = Criterion.objects.active_in(year).filter(kind="evidence").first()
    Evidence.objects.create(
        commune=commune,
        criterion=criterion,
        year=year,
        state=EvidenceState.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return criterion


def test_a_commune_without_a_district_is_told_the_province_reviews(client, years, make_user):
    criterion = _submitted("7444", datetime.date(2026, 3, 1), 2026)
    client.force_login(make_user(Role.COMMUNE, "7444", on=datetime.date(2026, 3, 1)))

    pages = [
        client.get(reverse("checklist", args=["7444", 2026])),
        client.get(reverse("evidence_detail", args=["7444", 2026, criterion.code])),
    ]
    for page in pages:
        html = page.content.decode()
        assert "tỉnh duyệt" in html.lower() and "huyện duyệt" not in html.lower()


def test_a_commune_with_a_district_is_told_the_district_reviews(client, years, make_user):
    criterion = _submitted("7444", datetime.date(2024, 6, 1), 2024)
    client.force_login(make_user(Role.COMMUNE, "7444"))  # Đồi Ngô, 2024
    html = client.get(
        reverse("evidence_detail", args=["7444", 2024, criterion.code])
    ).content.decode()
    assert "Chờ huyện duyệt" in html and "tỉnh duyệt" not in html


def test_the_worklist_of_a_commune_without_a_district_names_the_province(client, years, make_user):
    client.force_login(make_user(Role.COMMUNE, "7444", on=datetime.date(2026, 3, 1)))
    client.cookies["django_language"] = "en"
    html = client.get(reverse("worklist")).content.decode()
    assert "Waiting for the province&#x27;s review" in html or "province's review" in html
    assert "district&#x27;s review" not in html and "district's review" not in html


def test_a_refused_change_and_a_closed_checklist_name_the_province_where_there_is_no_district(
    years,
):
    from communes.selectors import DeadlineState
    from communes.services.evidence import ChecklistClosed, describe

    _submitted("7444", datetime.date(2026, 3, 1), 2026)
    evidence = Evidence.objects.get(year=2026, commune__code="7444")
    closed = DeadlineState(
        submission_deadline=datetime.date(2026, 12, 15),
        review_deadline=None,
        today=datetime.date(2026, 12, 20),
    )

    with translation.override("vi"):
        assert "chờ tỉnh duyệt" in describe(evidence)
        assert "đề nghị tỉnh gia hạn" in ChecklistClosed(closed, by_province=True).message
        assert "đề nghị huyện gia hạn" in ChecklistClosed(closed).message


def test_a_status_reason_awaiting_review_names_no_level_it_may_not_have():
    from targets import rules
    from targets.reasons import message

    reason = {"code": rules.EVIDENCE_AWAITING_REVIEW, "params": {"criterion": "TC-HS"}}
    with translation.override("vi"):
        assert message(reason) == "Tiêu chí TC-HS: minh chứng đang chờ duyệt."
    with translation.override("en"):
        assert message(reason) == "Criterion TC-HS: evidence awaiting review."

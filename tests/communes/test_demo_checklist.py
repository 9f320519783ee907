"""The demo data tells one story per commune: committees, launch, evidence and readiness."""

import datetime
import json
import runpy
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from communes.demo import PASS_SCORE, readiness_year
from communes.models import (
    CommitteeMember,
    Commune,
    Evidence,
    EvidenceFile,
    EvidenceState,
    EvidenceTransition,
    Level,
    MemberRole,
    SteeringCommittee,
)
from communes.selectors import checklist
from tests.clock import today_is


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """seed_demo once for the module (it is the slow part), undone afterwards."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        from django.db import transaction

        with transaction.atomic():
            call_command("seed_demo")
            counts = _counts()
            call_command("seed_demo")
            yield {"counts": counts}
            transaction.set_rollback(True)


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            SteeringCommittee,
            CommitteeMember,
            Evidence,
            EvidenceFile,
            EvidenceTransition,
        )
    }


@pytest.fixture
def db_seeded(seeded, db):
    return seeded


def test_running_the_seed_twice_adds_nothing(db_seeded):
    assert _counts() == db_seeded["counts"]


def test_the_province_and_all_ten_districts_have_committees(db_seeded):
    assert SteeringCommittee.objects.filter(level=Level.PROVINCE).count() == 1
    assert SteeringCommittee.objects.filter(level=Level.DISTRICT).count() == 10


def test_luc_nams_committee_has_13_members_chaired_by_the_district_chairman(db_seeded, luc_nam):
    committee = SteeringCommittee.objects.get(district=luc_nam)
    members = list(committee.members.all())
    assert len(members) == 13
    chair = [m for m in members if m.role == MemberRole.CHAIR]
    assert len(chair) == 1
    assert (chair[0].position, chair[0].organisation) == (
        "Chủ tịch UBND huyện",
        "UBND huyện Lục Nam",
    )
    assert all(m.full_name.count(" ") >= 2 for m in members)


def test_doi_ngo_is_the_pilot_launched_early_in_2023(db_seeded):
    doi_ngo = Commune.objects.get(code="7444")
    assert doi_ngo.is_pilot
    assert datetime.date(2023, 1, 1) <= doi_ngo.model_launched_on <= datetime.date(2023, 3, 31)
    assert list(Commune.objects.filter(is_pilot=True)) == [doi_ngo]


def test_launch_dates_follow_each_communes_readiness(db_seeded):
    never = 0
    for commune in Commune.objects.select_related("district").prefetch_related("committees"):
        ready = readiness_year(commune)
        committees = list(commune.committees.all())
        if commune.model_launched_on is None:
            never += 1
            assert ready is None and committees == []
            continue
        assert len(committees) == 1
        assert committees[0].established_on <= commune.model_launched_on
        if ready is not None:
            assert commune.model_launched_on.year <= ready
    assert never == 5


def test_from_its_readiness_year_every_commune_has_what_certification_needs(db_seeded):
    """Required criteria approved and above thresholds, enough points; never before."""
    qualifying = Counter()
    for commune in Commune.objects.select_related("district"):
        ready = readiness_year(commune)
        for year in (2023, 2024, 2025):
            sheet = checklist(commune=commune, year=year)
            required_met = all(
                row.is_approved and not row.below_threshold
                for row in sheet.reviewed_rows
                if row.criterion.is_required
            )
            launched = (
                commune.model_launched_on is not None and commune.model_launched_on.year <= year
            )
            meets = required_met and sheet.points_earned >= PASS_SCORE and launched
            assert meets == (ready is not None and year >= ready), (commune.code, year)
            qualifying[year] += meets
    total = Commune.objects.count()
    assert 0.28 < qualifying[2023] / total < 0.40  # about a third in 2023
    assert 0.55 < qualifying[2024] / total < 0.70
    assert 0.85 < qualifying[2025] / total < 0.95  # most, not all, in 2025


def test_evidence_comes_in_every_state_and_some_submissions_are_overdue(db_seeded):
    states = set(Evidence.objects.values_list("state", flat=True))
    assert states == set(EvidenceState.values)
    waiting = Evidence.objects.filter(state=EvidenceState.SUBMITTED)
    overdue = waiting.filter(submitted_at__lt=timezone.now() - datetime.timedelta(days=5))
    assert 0 < overdue.count() < waiting.count()
    assert waiting.filter(commune__district__code="218").count() >= 5
    returned = Evidence.objects.filter(state=EvidenceState.REJECTED)
    assert not returned.filter(review_comment="").exists()


def test_demo_files_are_a_few_stored_files_shared_by_many_rows(db_seeded):
    stored = set(EvidenceFile.objects.values_list("file", flat=True))
    assert len(stored) <= 20
    assert EvidenceFile.objects.count() > 1000


def test_the_pilot_shows_a_change_since_its_last_approval(db_seeded):
    updated = Evidence.objects.get(commune__code="7444", year=2025, criterion__code="CNTT-03")
    assert updated.state == EvidenceState.SUBMITTED
    assert updated.approved_snapshot is not None
    from communes.selectors import changes_since_approval

    changes = changes_since_approval(updated)
    assert changes and changes.added == ["cntt-03-anh-cap-nhat-2025.png"]


def test_the_demo_has_believable_recognition_decisions_and_deadlines_for_every_year(db_seeded):
    from communes.models import ChecklistDeadline
    from targets.decisions import recognitions
    from targets.models import CertificationStatus, RecognitionDecision, Status

    assert set(ChecklistDeadline.objects.values_list("year", flat=True)) >= {2023, 2024, 2025}
    for year in (2023, 2024):
        certified = CertificationStatus.objects.filter(year=year, status=Status.CERTIFIED)
        recognized = recognitions(year=year)
        # Most certified communes recognized, a few still awaiting their decision.
        assert 0 < certified.exclude(commune_id__in=list(recognized)).count() <= 6
        assert len(recognized) >= certified.count() * 0.9
        issued = RecognitionDecision.objects.filter(year=year, state="issued")
        assert all(d.number and d.signed_on and d.signer and d.scan for d in issued)
    withdrawal = RecognitionDecision.objects.get(kind="withdraw")
    assert withdrawal.year == 2024 and withdrawal.reason and withdrawal.entries.count() == 1
    assert withdrawal.entries.get().commune_id not in recognitions(year=2024)
    # Running the seed twice made no second set of decisions.
    assert RecognitionDecision.objects.filter(year=2023, district__code="218").count() == 1


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 20), datetime.date(2027, 1, 2)])
def test_the_load_tests_clerks_still_have_items_to_save_after_the_demos_deadline(
    db_seeded, capsys, day
):
    # The demo closes each year's checklists on 15 December; the load test (its own
    # database) keeps the latest programme year open instead of finding nothing to save.
    # Here that is 2025: this module seeds the 2023 units only, so 2026 is not seeded.
    with today_is(day):
        runpy.run_path(str(settings.BASE_DIR / "tooling" / "loadtest_plan.py"))
    plan = json.loads(capsys.readouterr().out)
    assert plan["year"] == 2025
    assert len(plan["items"]) >= 200

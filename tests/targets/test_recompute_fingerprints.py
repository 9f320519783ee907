"""The recompute evaluates only the communes whose facts moved (targets.facts).

Each status keeps a fingerprint of the facts, checklist, thresholds and code it was
computed from. On PostgreSQL the recompute compares it with the fingerprint of the facts
now, in one statement, and runs the rule on the communes whose fingerprint differs (or
that have no status); SQLite evaluates every commune, and stores the same fingerprints.
The facts are changed here behind the services' back (plain updates), as a bug, a repair
or a writer that forgot to ask for a recompute would: no writer has to say anything.
"""

import datetime
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone

from communes.models import Commune, Criterion, Evidence, EvidenceState, SteeringCommittee
from surveys.models import SurveyYear
from targets import facts, rules, selectors, services
from targets.models import (
    CertificationRule,
    CertificationStatus,
    ComputedYear,
    Status,
    StatusChange,
)
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db

# What a status says, without the times of its computation.
FIGURES = [f for f in services.STATUS_FIELDS if f not in ("computed_at", "changed_at")]


@pytest.fixture
def on_postgresql():
    if not settings.IS_POSTGRES:
        skip_or_fail("the recompute compares fingerprints in SQL on PostgreSQL only")


@pytest.fixture
def country(make_ready, doi_ngo, le_loi):
    """Đồi Ngô certified, Lê Lợi without TC-D2 (short of the pass score: in progress),
    five more communes ready but with TC-HS awaiting review, a draft beside them, and
    the other 202 not started; every status of 2023 computed."""
    make_ready([doi_ngo])
    make_ready([le_loi], skip=("TC-D2",))
    others = list(Commune.objects.exclude(pk__in=[doi_ngo.pk, le_loi.pk]).order_by("code")[:5])
    make_ready(others, states={"TC-HS": EvidenceState.SUBMITTED})
    Evidence.objects.filter(commune=others[0], criterion__code="TC-D1").update(
        state=EvidenceState.DRAFT, value=Decimal("12.50")
    )
    services.statuses_recompute(year=2023)
    assert statuses()[doi_ngo.pk][0] == Status.CERTIFIED
    assert statuses()[le_loi.pk][0] == Status.IN_PROGRESS
    return others


def shown_computed_at(year=2023):
    """{commune: when its status of ``year`` was last computed, as the pages show it}."""
    return dict(
        CertificationStatus.objects.filter(year=year)
        .annotate(at=selectors.last_computation(F("computed_at"), year=year))
        .values_list("commune", "at")
    )


def statuses(year=2023):
    return {
        row[0]: row[1:]
        for row in CertificationStatus.objects.filter(year=year).values_list("commune", *FIGURES)
    }


@contextmanager
def watching():
    """What the recompute inside evaluates (the communes whose facts it reads, and the
    rule's calls: each evaluation of a commune computes its survey-free part once) and
    writes (the statuses upserted)."""
    seen = {"read": set(), "evaluations": 0, "written": []}
    read, evaluate, upsert = facts.year_facts, rules.evaluate_part, services._upsert_statuses

    def reading(**kwargs):
        result = read(**kwargs)
        seen["read"] |= set(result)
        return result

    def evaluating(**kwargs):
        seen["evaluations"] += 1
        return evaluate(**kwargs)

    def writing(rows):
        seen["written"].extend(row[0] for row in rows)
        return upsert(rows)

    with (
        mock.patch.object(facts, "year_facts", reading),
        mock.patch.object(rules, "evaluate_part", evaluating),
        mock.patch.object(services, "_upsert_statuses", writing),
    ):
        yield seen


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_second_recompute_evaluates_nothing_and_writes_no_status(on_postgresql, country):
    before = statuses()
    computed = dict(CertificationStatus.objects.values_list("commune", "computed_at"))
    history = StatusChange.objects.count()

    with watching() as seen:
        counts = services.statuses_recompute(year=2023)

    assert (seen["read"], seen["evaluations"], seen["written"]) == (set(), 0, [])
    assert statuses() == before
    assert StatusChange.objects.count() == history
    # No status row is written again: the year's computation time moves instead ...
    assert dict(CertificationStatus.objects.values_list("commune", "computed_at")) == computed
    # ... and every status shows it: computed now all the same. The dashboards' caches
    # are keyed to it.
    now = shown_computed_at()
    assert all(now[commune] > at for commune, at in computed.items())
    assert selectors.last_computed_at(year=2023) == max(now.values())
    # The counts cover every commune, kept or evaluated.
    assert counts[2023] == {"CERTIFIED": 1, "IN_PROGRESS": 6, "NOT_STARTED": 202}


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_draft_is_no_fact_of_the_rule(on_postgresql, country, doi_ngo):
    Evidence.objects.filter(commune=doi_ngo, criterion__code="TC-D1").update(
        state=EvidenceState.DRAFT
    )
    Evidence.objects.filter(commune=doi_ngo, criterion__code="TC-D1").update(
        state=EvidenceState.APPROVED
    )
    Evidence.objects.filter(commune=country[0], criterion__code="TC-D1").update(
        value=Decimal("99")
    )  # still a draft
    with watching() as seen:
        services.statuses_recompute(year=2023)
    assert seen["evaluations"] == 0


def _evidence(commune, code):
    return Evidence.objects.filter(commune=commune, criterion__code=code, year=2023)


def _add_responses(commune, *, responses, satisfied):
    SurveyYear.objects.filter(commune=commune, year=2023).update(
        responses=F("responses") + responses,
        satisfied=F("satisfied") + satisfied,
        responses_1=F("responses_1") + responses,
        satisfied_1=F("satisfied_1") + satisfied,
    )


def _add_d2(commune, checklist):
    Evidence.objects.create(
        commune=commune, criterion=checklist["TC-D2"], year=2023, state=EvidenceState.APPROVED
    )


# (what changes, in Đồi Ngô or Lê Lợi, and the status it then has)
ONE_COMMUNE = {
    "evidence state": (
        "doi_ngo",
        lambda c, _: _evidence(c, "TC-HS").update(state=EvidenceState.SUBMITTED),
        Status.IN_PROGRESS,
    ),
    "evidence rejected": (
        "doi_ngo",
        lambda c, _: _evidence(c, "TC-HS").update(state=EvidenceState.REJECTED),
        Status.NOT_MET,
    ),
    "evidence value": (
        "doi_ngo",
        lambda c, _: _evidence(c, "TC-DUNG-HAN").update(value=Decimal("94.99")),
        Status.NOT_MET,
    ),
    "evidence value removed": (
        "doi_ngo",
        lambda c, _: _evidence(c, "TC-DUNG-HAN").update(value=None),
        Status.IN_PROGRESS,
    ),
    "new evidence": ("le_loi", _add_d2, Status.CERTIFIED),
    "deleted evidence": (
        "doi_ngo",
        lambda c, _: _evidence(c, "TC-HS").delete(),
        Status.IN_PROGRESS,
    ),
    "a response added to the roll-up": (
        "doi_ngo",
        lambda c, _: _add_responses(c, responses=1, satisfied=1),
        Status.CERTIFIED,
    ),
    "unsatisfied responses added": (
        "doi_ngo",
        lambda c, _: _add_responses(c, responses=20, satisfied=0),
        Status.NOT_MET,
    ),
    "committee date": (
        "doi_ngo",
        lambda c, _: SteeringCommittee.objects.filter(commune=c).update(
            established_on=datetime.date(2024, 1, 1)
        ),
        Status.NOT_STARTED,
    ),
    "launch date": (
        "doi_ngo",
        lambda c, _: Commune.objects.filter(pk=c.pk).update(
            model_launched_on=datetime.date(2024, 1, 1)
        ),
        Status.NOT_STARTED,
    ),
}


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
@pytest.mark.parametrize("change", ONE_COMMUNE)
def test_a_change_of_one_communes_facts_evaluates_that_commune_only(
    on_postgresql, country, checklist, request, change
):
    name, apply, expected = ONE_COMMUNE[change]
    commune = request.getfixturevalue(name)
    others = {k: v for k, v in statuses().items() if k != commune.pk}
    apply(commune, checklist)

    with watching() as seen:
        services.statuses_recompute(year=2023)

    assert seen["read"] == {commune.pk}
    assert seen["evaluations"] == 1
    assert seen["written"] == [commune.pk]
    now = statuses()
    assert now[commune.pk][0] == expected
    assert {k: v for k, v in now.items() if k != commune.pk} == others
    _assert_as_from_scratch(now)


def _threshold(checklist):
    Criterion.objects.filter(pk=checklist["TC-DUNG-HAN"].pk).update(threshold=Decimal("98"))


def _new_criterion(checklist):
    Criterion.objects.create(code="TC-MOI", group="it", title="Tiêu chí mới", kind="evidence")


def _deactivate(checklist):
    Criterion.objects.filter(pk=checklist["TC-HS"].pk).update(active_to=2022)


def _points(checklist):
    Criterion.objects.filter(pk=checklist["TC-D1"].pk).update(points=4)


def _survey_threshold(checklist):
    CertificationRule.objects.filter(year=2023).update(satisfaction_threshold=Decimal("95"))


def _pass_score(checklist):
    CertificationRule.objects.filter(year=2023).update(pass_score=10)


def _reorder(checklist):
    # The reasons follow the checklist's order: the same criteria in another order are
    # another verdict.
    Criterion.objects.filter(pk=checklist["TC-D2"].pk).update(order=0)
    Criterion.objects.exclude(pk=checklist["TC-D2"].pk).update(order=5)


# (what changes in the year's checklist or rule, and Đồi Ngô's then Lê Lợi's status)
EVERY_COMMUNE = {
    "a criterion's threshold": (_threshold, Status.NOT_MET, Status.NOT_MET),
    "a criterion added": (_new_criterion, Status.IN_PROGRESS, Status.IN_PROGRESS),
    "a criterion deactivated": (_deactivate, Status.CERTIFIED, Status.IN_PROGRESS),
    "a criterion's points": (_points, Status.NOT_MET, Status.NOT_MET),
    "the rule's satisfaction threshold": (_survey_threshold, Status.NOT_MET, Status.NOT_MET),
    "the rule's pass score": (_pass_score, Status.CERTIFIED, Status.CERTIFIED),
    "the checklist's order": (_reorder, Status.CERTIFIED, Status.IN_PROGRESS),
}


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
@pytest.mark.parametrize("change", EVERY_COMMUNE)
def test_a_change_of_the_checklist_or_the_rule_evaluates_every_commune_of_the_year(
    on_postgresql, country, checklist, doi_ngo, le_loi, change
):
    apply, doi_ngo_status, le_loi_status = EVERY_COMMUNE[change]
    services.statuses_recompute(year=2024)
    other_year = statuses(2024)
    apply(checklist)

    with watching() as seen:
        services.statuses_recompute(year=2023)

    assert len(seen["read"]) == seen["evaluations"] == 209
    now = statuses()
    assert (now[doi_ngo.pk][0], now[le_loi.pk][0]) == (doi_ngo_status, le_loi_status)
    _assert_as_from_scratch(now)
    with watching() as seen:  # and then it is known again
        services.statuses_recompute(year=2023)
    assert seen["evaluations"] == 0
    if change in ("the rule's satisfaction threshold", "the rule's pass score"):
        with watching() as seen:  # another year's rule did not change
            services.statuses_recompute(year=2024)
        assert seen["evaluations"] == 0
        assert statuses(2024) == other_year


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_change_of_the_rules_code_evaluates_every_commune_again(on_postgresql, country):
    before = statuses()
    with mock.patch.object(facts, "code_key", lambda: "another version of the rule"):
        with watching() as seen:
            services.statuses_recompute(year=2023)
    assert seen["evaluations"] == 209
    # Nothing else changed: the same statuses, under the new key (the fingerprint, the
    # rule key and the digest of the other facts hold it).
    keyed = [FIGURES.index(f) for f in ("facts_hash", "rule_key", "facts_base")]

    def unkeyed(rows):
        return {k: [x for i, x in enumerate(v) if i not in keyed] for k, v in rows.items()}

    assert unkeyed(statuses()) == unkeyed(before)
    assert all(statuses()[k][i] != v[i] for k, v in before.items() for i in keyed)


def test_the_code_key_covers_the_rule_and_the_code_that_reads_its_facts(tmp_path):
    key = facts.code_key()
    for module in (rules, facts):
        edited = tmp_path / f"{module.__name__}.py"
        edited.write_bytes(open(module.__file__, "rb").read() + b"\n# an edit\n")
        facts.code_key.cache_clear()
        try:
            with mock.patch.object(module, "__file__", str(edited)):
                assert facts.code_key() != key
        finally:
            facts.code_key.cache_clear()
    assert facts.code_key() == key


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_status_without_a_fingerprint_is_evaluated_again(on_postgresql, country, doi_ngo):
    # A status computed before fingerprints existed (the migration leaves them blank).
    CertificationStatus.objects.filter(commune=doi_ngo).update(facts_hash="")
    with watching() as seen:
        services.statuses_recompute(year=2023)
    assert seen["read"] == {doi_ngo.pk}
    assert statuses()[doi_ngo.pk][-1] != ""


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_commune_with_no_status_yet_is_evaluated(on_postgresql, country, doi_ngo):
    CertificationStatus.objects.filter(commune=doi_ngo).delete()
    with watching() as seen:
        services.statuses_recompute(year=2023)
    assert seen["read"] == {doi_ngo.pk}
    assert statuses()[doi_ngo.pk][0] == Status.CERTIFIED


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_many_changes_then_recomputes_leave_the_statuses_of_a_recompute_from_scratch(
    on_postgresql, country, checklist, doi_ngo, le_loi
):
    _evidence(doi_ngo, "TC-HS").update(state=EvidenceState.SUBMITTED)
    services.statuses_recompute(year=2023)
    _add_d2(le_loi, checklist)
    _add_responses(country[1], responses=-30, satisfied=-30)
    services.statuses_recompute(year=2023, commune_ids=[le_loi.pk])  # one commune's task
    _evidence(doi_ngo, "TC-HS").update(state=EvidenceState.APPROVED)  # back as it was
    Evidence.objects.filter(commune=country[2]).update(state=EvidenceState.APPROVED)
    services.statuses_recompute(year=2023)

    now = statuses()
    assert (now[doi_ngo.pk][0], now[le_loi.pk][0], now[country[2].pk][0]) == (
        Status.CERTIFIED,
        Status.CERTIFIED,
        Status.CERTIFIED,
    )
    assert now[country[1].pk][0] == Status.IN_PROGRESS  # too few responses now
    _assert_as_from_scratch(now)


def _assert_as_from_scratch(now):
    """``now`` (the statuses stored) is what a recompute of nothing gives."""
    CertificationStatus.objects.filter(year=2023).delete()
    services.statuses_recompute(year=2023)
    assert statuses() == now


def fingerprints():
    return dict(CertificationStatus.objects.filter(year=2023).values_list("commune", "facts_hash"))


def test_each_status_keeps_the_fingerprint_of_the_facts_it_was_computed_from(country, doi_ngo):
    # On every database: SQLite evaluates every commune, but stores the same fingerprint.
    rule = facts.year_rule(2023)
    read = facts.year_facts(rule=rule)
    stored = fingerprints()
    assert stored == {commune: rule.fingerprint(f) for commune, f in read.items()}
    assert len(set(stored.values())) > 2  # not one key for all

    _evidence(doi_ngo, "TC-DUNG-HAN").update(value=Decimal("96"))
    services.statuses_recompute(year=2023)
    after = fingerprints()
    assert after[doi_ngo.pk] != stored[doi_ngo.pk]
    assert {k: v for k, v in after.items() if k != doi_ngo.pk} == {
        k: v for k, v in stored.items() if k != doi_ngo.pk
    }


def test_the_fingerprint_tells_every_fact_apart():
    rule = facts.YearRule(
        year=2023,
        on=datetime.date(2023, 1, 1),
        thresholds=rules.Thresholds(),
        checklist=rules.Checklist([]),
        key="k",
    )
    day = datetime.date(2023, 2, 1)
    variants = [
        rules.Facts(),
        rules.Facts(committee_on=day),
        rules.Facts(launched_on=day),
        rules.Facts(committee_on=day, launched_on=day),
        rules.Facts(responses=1),
        rules.Facts(satisfied=1),
        rules.Facts(responses=11),
        rules.Facts(responses=1, satisfied=1),
        rules.Facts(evidence={1: ("approved", None)}),
        rules.Facts(evidence={1: ("approved", Decimal("9.50"))}),
        rules.Facts(evidence={1: ("submitted", None)}),
        rules.Facts(evidence={2: ("approved", None)}),
        rules.Facts(evidence={1: ("approved", None), 2: ("approved", None)}),
    ]
    assert len({rule.fingerprint(f) for f in variants}) == len(variants)
    # The same facts in any order of evidence: the same fingerprint.
    assert rule.fingerprint(
        rules.Facts(evidence={2: ("approved", None), 1: ("rejected", None)})
    ) == rule.fingerprint(rules.Facts(evidence={1: ("rejected", None), 2: ("approved", None)}))


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_full_run_of_the_command_repairs_a_status_edited_by_hand(on_postgresql, country, doi_ngo):
    from django.core.management import call_command

    # Someone "fixed" a status in the database; its facts did not move.
    CertificationStatus.objects.filter(commune=doi_ngo, year=2023).update(status=Status.NOT_MET)
    with watching() as seen:
        call_command("recompute_certifications", "--year", "2023", stdout=mock.Mock())
    assert seen["evaluations"] == 0  # the nightly run trusts the fingerprints
    assert statuses()[doi_ngo.pk][0] == Status.NOT_MET

    with watching() as seen:
        call_command("recompute_certifications", "--year", "2023", "--full", stdout=mock.Mock())
    assert seen["evaluations"] == Commune.objects.in_force(on=datetime.date(2023, 1, 1)).count()
    assert statuses()[doi_ngo.pk][0] == Status.CERTIFIED


def year_computed_at(year=2023):
    return ComputedYear.objects.filter(year=year).values_list("computed_at", flat=True).first()


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_night_where_nothing_moved_moves_the_years_time_and_every_status_shows_it(
    on_postgresql, country, doi_ngo
):
    services.statuses_recompute(year=2023)
    first = year_computed_at()
    assert first is not None

    services.statuses_recompute(year=2023)

    assert year_computed_at() > first
    shown = selectors.commune_status(commune=doi_ngo, year=2023).last_computed_at
    assert shown == year_computed_at() == selectors.last_computed_at(year=2023)
    assert set(shown_computed_at().values()) == {year_computed_at()}
    assert year_computed_at(2024) is None  # another year was not run


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_recompute_of_named_communes_moves_their_time_only(on_postgresql, country, doi_ngo):
    services.statuses_recompute(year=2023)
    year_time, before = year_computed_at(), shown_computed_at()

    services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk])

    assert year_computed_at() == year_time
    after = shown_computed_at()
    assert after[doi_ngo.pk] > year_time
    assert {k: v for k, v in after.items() if k != doi_ngo.pk} == {
        k: v for k, v in before.items() if k != doi_ngo.pk
    }


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_a_crash_in_a_nightly_run_leaves_the_years_time_and_statuses_as_they_were(
    on_postgresql, country, doi_ngo
):
    services.statuses_recompute(year=2023)
    year_time, before, shown = year_computed_at(), statuses(), shown_computed_at()
    _evidence(doi_ngo, "TC-HS").update(state=EvidenceState.REJECTED)

    with (
        mock.patch.object(services, "_upsert_statuses", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        services.statuses_recompute(year=2023)

    # The pages do not claim a computation that did not happen.
    assert (year_computed_at(), statuses(), shown_computed_at()) == (year_time, before, shown)
    services.statuses_recompute(year=2023)
    assert statuses()[doi_ngo.pk][0] == Status.NOT_MET


def test_a_years_time_alone_is_no_computation_of_statuses_that_do_not_exist(country):
    # On every database: a year's time tells when its statuses were computed, not that
    # there are any.
    ComputedYear.objects.create(year=2030, computed_at=datetime.datetime.now(datetime.UTC))
    assert selectors.last_computed_at(year=2030) is None
    assert selectors.years_and_last_computations()[1].get(2030) is None


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_the_commune_page_shows_the_last_run_of_a_status_whose_facts_did_not_move(
    on_postgresql, country, doi_ngo, client, province_official
):
    long_ago = datetime.datetime(2024, 3, 5, 8, 30, tzinfo=datetime.UTC)
    CertificationStatus.objects.filter(year=2023).update(computed_at=long_ago)

    services.statuses_recompute(year=2023)  # nothing moved: no row is written

    assert CertificationStatus.objects.get(commune=doi_ngo, year=2023).computed_at == long_ago
    client.force_login(province_official)
    page = client.get(reverse("commune_detail", args=["7444"]) + "?year=2023").content.decode()
    shown = page.split("Tính lúc", 1)[1][:40]
    assert formats.date_format(timezone.localtime(year_computed_at()), "SHORT_DATETIME_FORMAT") in (
        shown
    )
    assert formats.date_format(timezone.localtime(long_ago), "SHORT_DATETIME_FORMAT") not in shown

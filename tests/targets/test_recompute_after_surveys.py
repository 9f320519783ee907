"""A change of survey counts alone costs only what survey counts change (issue 15).

The rule is split in two (``targets.rules``): the part that does not depend on the survey
counts (``evaluate_part``), stored with each status, and its composition with the counts
(``compose``); ``evaluate`` is the two together. After an import (and a kiosk or paper
answer, a deletion) the statuses of the (commune, year) touched are composed from the
stored part and the new counts (``services.statuses_after_surveys``), without reading the
evidence. What they give must be what a whole evaluation gives: statuses, reasons,
figures and fingerprints.
"""

import datetime
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from communes.models import (
    Commune,
    Evidence,
    EvidenceState,
    Notification,
    NotificationKind,
)
from surveys.importing import survey_file_import
from surveys.models import Channel, SurveyResponse, SurveyYear
from surveys.selectors import active_questionnaire
from surveys.services import (
    questionnaire_create_default,
    survey_response_create,
    survey_responses_delete,
)
from targets import facts, rules, services
from targets.models import (
    CertificationRule,
    CertificationStatus,
    PendingRecompute,
    Status,
    StatusChange,
)

pytestmark = pytest.mark.django_db

# What a status says, without the times of its computation.
FIGURES = [f for f in services.STATUS_FIELDS if f not in ("computed_at", "changed_at")]


# --- The split rule -----------------------------------------------------------------------

YEAR = 2023
DAYS = st.one_of(
    st.none(),
    st.sampled_from([datetime.date(2022, 5, 1), datetime.date(2023, 12, 31)]),
    st.just(datetime.date(2024, 1, 1)),
)
STATES = st.sampled_from(
    [
        str(EvidenceState.DRAFT),
        str(EvidenceState.SUBMITTED),
        str(EvidenceState.REJECTED),
        str(EvidenceState.APPROVED),
    ]
)


@st.composite
def cases(draw):
    """A checklist, a year's thresholds, a commune's facts, and other survey counts."""
    criteria = []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["evidence", "measured", "survey"]))
        criteria.append(
            rules.Criterion(
                id=n + 1,
                code=f"TC-{n}",
                kind=kind,
                is_required=draw(st.booleans()),
                points=draw(st.sampled_from([0, 0, 5, 10])),
                threshold=Decimal(draw(st.sampled_from(["95", "92.5"])))
                if kind == "measured"
                else None,
            )
        )
    evidence = {}
    for criterion in criteria:
        if draw(st.booleans()):
            value = draw(st.sampled_from([None, Decimal("90"), Decimal("95.00"), Decimal("99")]))
            evidence[criterion.id] = rules.EvidenceFact(draw(STATES), value)
    counts = st.tuples(st.integers(0, 60), st.integers(0, 60)).map(
        lambda pair: (max(pair), min(pair))  # (responses, satisfied <= responses)
    )
    responses, satisfied = draw(counts)
    thresholds = rules.Thresholds(
        satisfaction_threshold=Decimal(draw(st.sampled_from(["85", "80", "92.5"]))),
        min_responses=draw(st.sampled_from([0, 1, 30])),
        pass_score=draw(st.sampled_from([0, 10, 15, 30])),
    )
    commune_facts = rules.Facts(
        committee_on=draw(DAYS),
        launched_on=draw(DAYS),
        evidence=evidence,
        responses=responses,
        satisfied=satisfied,
    )
    return rules.Checklist(criteria), thresholds, commune_facts, draw(counts)


@hypothesis_settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_split_rule_is_the_rule_and_its_stored_part_gives_any_other_counts(case):
    checklist, thresholds, commune_facts, (responses, satisfied) = case
    verdict = rules.evaluate(year=YEAR, facts=commune_facts, criteria=checklist, rule=thresholds)
    part = rules.evaluate_part(year=YEAR, facts=commune_facts, criteria=checklist)
    assert (
        rules.compose(
            part,
            responses=commune_facts.responses,
            satisfied=commune_facts.satisfied,
            criteria=checklist,
            rule=thresholds,
        )
        == verdict
    )

    # What is stored (the reasons as JSON, the figures and the part's points), composed
    # with other counts, is the verdict of the facts with those counts.
    by_rank, survey_reasons = rules.split_reasons(json.loads(json.dumps(verdict.reasons)))
    assert survey_reasons == rules.survey_reasons_of(verdict.reasons)
    stored = rules.Part(
        by_rank, verdict.evidence_required, verdict.evidence_approved, part.score, part.pending
    )
    other = rules.Facts(
        committee_on=commune_facts.committee_on,
        launched_on=commune_facts.launched_on,
        evidence=commune_facts.evidence,
        responses=responses,
        satisfied=satisfied,
    )
    assert rules.compose(
        stored, responses=responses, satisfied=satisfied, criteria=checklist, rule=thresholds
    ) == rules.evaluate(year=YEAR, facts=other, criteria=checklist, rule=thresholds)

    # The survey test is met exactly when the verdict gives no survey reason; then the
    # status, score and reasons are the same for any such counts (the recompute composes
    # such a part once for all of them).
    def composed(n, s):
        return rules.compose(stored, responses=n, satisfied=s, criteria=checklist, rule=thresholds)

    verdict = composed(responses, satisfied)
    survey_test_reasons = {rules.TOO_FEW_RESPONSES, rules.SATISFACTION_BELOW}
    met = rules.survey_met(responses, satisfied, thresholds)
    assert met == (not survey_test_reasons & {r["code"] for r in verdict.reasons})
    if met:
        other_met = composed(responses + 100, satisfied + 100)
        assert (other_met.status, other_met.score, other_met.reasons) == (
            verdict.status,
            verdict.score,
            verdict.reasons,
        )


def test_the_fingerprint_is_the_digest_of_the_base_and_the_counts():
    rule = facts.YearRule(
        year=YEAR,
        on=datetime.date(YEAR, 1, 1),
        thresholds=rules.Thresholds(),
        checklist=rules.Checklist([]),
        key="k",
    )
    day = datetime.date(YEAR, 2, 1)
    one = rules.Facts(committee_on=day, evidence={1: ("approved", None)}, responses=3, satisfied=2)
    other = rules.Facts(committee_on=day, evidence={1: ("approved", None)}, responses=4)
    assert rule.base(one) == rule.base(other)
    assert rule.fingerprint(one) == facts.facts_hash(rule.base(one), 3, 2)
    assert rule.fingerprint(other) == facts.facts_hash(rule.base(one), 4, 0)
    assert rule.fingerprint(one) != rule.fingerprint(other)


# --- The statuses after a change of survey counts ------------------------------------------


@pytest.fixture
def country(make_ready, doi_ngo, le_loi):
    """Đồi Ngô certified, Lê Lợi in progress (short of the pass score), five more ready
    but with TC-HS awaiting review, one of them with too few responses; the others not
    started. Every status of 2023 computed; no recompute pending."""
    make_ready([doi_ngo])
    make_ready([le_loi], skip=("TC-D2",))
    others = list(Commune.objects.exclude(pk__in=[doi_ngo.pk, le_loi.pk]).order_by("code")[:5])
    make_ready(others[:4], states={"TC-HS": EvidenceState.SUBMITTED})
    make_ready(others[4:], responses=10, satisfied=10)
    services.statuses_recompute(year=YEAR)
    PendingRecompute.objects.all().delete()
    assert stored()[doi_ngo.pk][0] == Status.CERTIFIED
    assert stored()[others[4].pk][0] == Status.IN_PROGRESS
    return others


def stored(year=YEAR):
    rows = CertificationStatus.objects.filter(year=year).values_list("commune", *FIGURES)
    # The reasons as values: SQLite keeps another text of the same JSON.
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def whole():
    """The calls of the whole evaluation (``_recompute_year``), which still runs."""
    with mock.patch.object(
        services, "_recompute_year", side_effect=services._recompute_year
    ) as spy:
        yield spy


def assert_as_a_whole_evaluation(year=YEAR, communes=None):
    """The stored statuses (of ``communes``, default all) are what a whole evaluation
    gives, and on PostgreSQL the nightly comparison finds no fingerprint of them moved."""
    now = stored(year)
    if communes is not None:
        now = {k: v for k, v in now.items() if k in communes}
    evaluated = services.statuses_evaluate(year=year, commune_ids=communes)
    assert {k: v[0] for k, v in now.items()} == {k: v.status for k, v in evaluated.items()}
    assert {k: v[1] for k, v in now.items()} == {k: v.reasons for k, v in evaluated.items()}
    if settings.IS_POSTGRES:
        compared = facts.fingerprints_compare(year_rules=[facts.year_rule(year)])
        assert not set(compared[year][0]) & set(now)
    CertificationStatus.objects.filter(year=year).delete()
    services.statuses_recompute(year=year)
    assert {k: v for k, v in stored(year).items() if k in now} == now


def _add_to_rollup(commune, *, responses, satisfied, year=YEAR):
    SurveyYear.objects.filter(commune=commune, year=year).update(
        responses=F("responses") + responses,
        satisfied=F("satisfied") + satisfied,
        responses_1=F("responses_1") + responses,
        satisfied_1=F("satisfied_1") + satisfied,
    )


def fifty_answers(tmp_path, country, doi_ngo, le_loi):
    """A file of 50 answers: Đồi Ngô 20 unsatisfied (below 85%), Lê Lợi 5 satisfied, the
    commune with too few responses 25 satisfied (enough now)."""
    questionnaire_create_default()
    rows = ["commune_code,answered_on,satisfied,Q1,Q11"]
    rows += [f"{doi_ngo.code},2023-05-{1 + n % 28:02d},0,2,2" for n in range(20)]
    rows += [f"{le_loi.code},2023-06-{1 + n:02d},1,5,5" for n in range(5)]
    rows += [f"{country[4].code},2023-07-{1 + n % 28:02d},1,5,5" for n in range(25)]
    path = tmp_path / "dot-5.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_import_recomputes_its_communes_in_its_transaction_as_a_whole_evaluation(
    country, doi_ngo, le_loi, tmp_path, whole, django_capture_on_commit_callbacks
):
    path = fifty_answers(tmp_path, country, doi_ngo, le_loi)
    before = stored()

    with (
        mock.patch("targets.outbox.prerender_communes.delay") as prerender,
        django_capture_on_commit_callbacks(execute=True),
    ):
        survey_file_import(path=path, filename=path.name)

    # After the commit, the dashboards of their provinces are rendered into the cache.
    prerender.assert_called_once_with(YEAR, sorted([doi_ngo.pk, le_loi.pk, country[4].pk]))
    whole.assert_not_called()  # composed from the stored parts
    assert not PendingRecompute.objects.exists()  # nothing left for a task
    now = stored()
    assert now[doi_ngo.pk][0] == Status.NOT_MET
    assert now[le_loi.pk][0] == Status.IN_PROGRESS
    assert now[country[4].pk][0] == Status.CERTIFIED  # enough responses now
    assert now[le_loi.pk][2] == before[le_loi.pk][2] + 5  # survey_responses
    assert {k: v for k, v in now.items() if k not in (doi_ngo.pk, le_loi.pk, country[4].pk)} == {
        k: v for k, v in before.items() if k not in (doi_ngo.pk, le_loi.pk, country[4].pk)
    }
    assert StatusChange.objects.get(commune=doi_ngo, from_status=Status.CERTIFIED).to_status == (
        Status.NOT_MET
    )
    assert_as_a_whole_evaluation()


def test_kiosk_answers_and_deletions_give_a_whole_evaluations_statuses(
    country, doi_ngo, le_loi, admin_user, whole
):
    questionnaire = active_questionnaire() or questionnaire_create_default()
    answers = {q.code: 1 for q in questionnaire.questions.all()}
    for _ in range(12):
        survey_response_create(
            commune=doi_ngo,
            questionnaire=questionnaire,
            answered_on=datetime.date(YEAR, 9, 1),
            answers=answers,
            channel=Channel.KIOSK,
        )
    # The admin deletes Lê Lợi's satisfied responses: too few are left.
    survey_responses_delete(
        responses=SurveyResponse.objects.filter(commune=le_loi, satisfied=True)[:20],
        by=admin_user,
    )
    # Those writers queue a recompute of the commune's year (``recompute_later``): a
    # request that may stand for any fact, which the survey-only path leaves to the whole
    # evaluation. Here the counts alone moved: the request is taken as done.
    PendingRecompute.objects.all().delete()

    services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR), (le_loi.pk, YEAR)])

    whole.assert_not_called()
    now = stored()
    assert now[doi_ngo.pk][0] == Status.NOT_MET
    assert now[le_loi.pk][0] == Status.IN_PROGRESS
    assert {"code": rules.TOO_FEW_RESPONSES, "params": {"responses": 20, "minimum": 30}} in (
        now[le_loi.pk][1]
    )
    assert_as_a_whole_evaluation()


def test_a_status_change_is_recorded_and_told_as_a_whole_evaluation_does(
    country, doi_ngo, commune_staff
):
    _add_to_rollup(doi_ngo, responses=40, satisfied=0)

    counts = services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR)])

    assert counts == {YEAR: {Status.NOT_MET: 1}}
    change = StatusChange.objects.get(commune=doi_ngo, year=YEAR, from_status=Status.CERTIFIED)
    assert change.to_status == Status.NOT_MET
    status = CertificationStatus.objects.get(commune=doi_ngo, year=YEAR)
    assert status.changed_at == status.computed_at == change.at
    assert Notification.objects.filter(user=commune_staff, kind=NotificationKind.STATUS).exists()
    assert_as_a_whole_evaluation()


def test_a_moved_rate_is_written_in_place_of_the_old_one(country, doi_ngo, le_loi):
    """A commune already below the satisfaction threshold, and one short of the pass score,
    whose counts move again: the same reasons with another rate, count or score. Their
    text is the stored one with those reasons replaced, not all of them rendered again."""
    _add_to_rollup(doi_ngo, responses=40, satisfied=0)
    _add_to_rollup(le_loi, responses=40, satisfied=0)
    services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR), (le_loi.pk, YEAR)])
    rate_before = stored()[doi_ngo.pk][1]
    _add_to_rollup(doi_ngo, responses=10, satisfied=9)
    _add_to_rollup(le_loi, responses=3, satisfied=0)

    with mock.patch.object(services, "_stored_text", side_effect=services._stored_text) as spy:
        services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR), (le_loi.pk, YEAR)])

    spy.assert_not_called()
    assert stored()[doi_ngo.pk][1] != rate_before
    assert_as_a_whole_evaluation()


def test_survey_reasons_are_replaced_in_the_stored_text_only_when_they_match_it():
    below = {"code": rules.SATISFACTION_BELOW, "params": {"rate": 60.5, "threshold": 85}}
    moved = {"code": rules.SATISFACTION_BELOW, "params": {"rate": 58, "threshold": 85}}
    missing = {"code": "evidence_missing", "params": {"criterion": "TC-HS"}}
    stored_text = services._stored_text([missing, below], {})

    assert json.loads(services._text_with(stored_text, [below], [moved], {})) == [missing, moved]
    too_few = {"code": rules.TOO_FEW_RESPONSES, "params": {"responses": 3, "minimum": 30}}
    assert services._text_with(stored_text, [below], [too_few], {}) is None  # another reason
    assert services._text_with(stored_text, [below], [], {}) is None
    assert services._text_with(stored_text, [too_few], [too_few], {}) is None  # not in the text


def test_counts_that_did_not_move_only_move_the_time(country, doi_ngo, whole):
    before = stored()
    at = CertificationStatus.objects.get(commune=doi_ngo, year=YEAR).computed_at

    services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR)])

    assert stored() == before
    assert CertificationStatus.objects.get(commune=doi_ngo, year=YEAR).computed_at > at
    assert not StatusChange.objects.filter(commune=doi_ngo, from_status=Status.CERTIFIED).exists()
    whole.assert_not_called()


# (what makes the stored part unusable, and the commune it concerns)
FALLBACKS = {
    "no status": lambda c: CertificationStatus.objects.filter(commune=c, year=YEAR).delete(),
    "computed under another rule": lambda c: CertificationRule.objects.filter(year=YEAR).update(
        pass_score=10
    ),
    "computed under other code": lambda c: CertificationStatus.objects.filter(
        commune=c, year=YEAR
    ).update(rule_key="an-older-code"),
    "an evidence change pending": lambda c: (
        Evidence.objects.filter(commune=c, year=YEAR, criterion__code="TC-HS").update(
            state=EvidenceState.REJECTED
        ),
        PendingRecompute.objects.create(commune=c, year=YEAR, requested_at="2023-01-01T00:00Z"),
    ),
    "a recompute of every year pending": lambda c: (
        Commune.objects.filter(pk=c.pk).update(model_launched_on=None),
        PendingRecompute.objects.create(commune=c, year=None, requested_at="2023-01-01T00:00Z"),
    ),
}


@pytest.mark.parametrize("fallback", FALLBACKS)
def test_a_pair_whose_stored_part_cannot_be_used_is_evaluated_whole(
    country, doi_ngo, le_loi, whole, fallback
):
    FALLBACKS[fallback](doi_ngo)
    _add_to_rollup(doi_ngo, responses=2, satisfied=2)
    _add_to_rollup(le_loi, responses=2, satisfied=1)

    services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR), (le_loi.pk, YEAR)])

    evaluated = {c for call in whole.call_args_list for c in call.args[1]}
    if fallback == "computed under another rule":
        assert evaluated == {doi_ngo.pk, le_loi.pk}  # every stored part is of the old rule
        # (the year's other statuses are the nightly run's to evaluate again)
        assert_as_a_whole_evaluation(communes=[doi_ngo.pk, le_loi.pk])
    else:
        assert evaluated == {doi_ngo.pk}
        assert_as_a_whole_evaluation()


def test_the_queries_do_not_grow_with_the_pairs(country, doi_ngo, le_loi):
    def queries(pairs):
        for commune_id, _year in pairs:
            _add_to_rollup(Commune(pk=commune_id), responses=1, satisfied=1)
        with CaptureQueriesContext(connection) as seen:
            services.statuses_after_surveys(pairs=pairs)
        return len(seen)

    few = queries([(doi_ngo.pk, YEAR)])
    many = queries([(c.pk, YEAR) for c in [doi_ngo, le_loi, *country]])
    assert few == many
    assert_as_a_whole_evaluation()


def test_statuses_that_share_their_part_get_their_own_counts_and_fingerprints(country, le_loi):
    """Four communes with the same evidence (awaiting review on TC-HS): three meet the
    survey test with different counts, the fourth falls below it. The part is composed
    once for those that meet it: each keeps its own counts and fingerprint."""
    sharing = list(
        CertificationStatus.objects.filter(year=YEAR, status=Status.IN_PROGRESS)
        .exclude(survey_responses__lt=30)
        .exclude(commune=le_loi)  # short of the pass score: another part
        .order_by("commune_id")
        .values_list("commune_id", flat=True)
    )
    assert len(sharing) == 4
    added = {pk: (n * 11, n * 11) for n, pk in enumerate(sharing, start=1)}
    added[sharing[-1]] = (60, 0)  # now below the threshold
    for pk, (responses, satisfied) in added.items():
        _add_to_rollup(Commune(pk=pk), responses=responses, satisfied=satisfied)
    before = stored()

    with mock.patch.object(rules, "compose", wraps=rules.compose) as compose:
        services.statuses_after_surveys(pairs=[(pk, YEAR) for pk in added])

    assert compose.call_count == 2  # once for those that meet the test, once below it
    now = stored()
    hashes = CertificationStatus.objects.filter(year=YEAR, commune_id__in=added)
    assert len(set(hashes.values_list("facts_hash", flat=True))) == len(added)
    for pk, (responses, _satisfied) in added.items():
        assert now[pk][FIGURES.index("survey_responses")] == (
            before[pk][FIGURES.index("survey_responses")] + responses
        )
    assert now[sharing[-1]][0] == Status.NOT_MET
    assert_as_a_whole_evaluation()


def test_statuses_written_a_few_at_a_time_are_those_of_a_whole_evaluation(
    country, doi_ngo, le_loi, monkeypatch
):
    """A national import writes its statuses in statements of ``SURVEY_UPDATE_ROWS``, each
    sent while the next ones are composed (PostgreSQL's pipeline): one row each here."""
    monkeypatch.setattr(services, "SURVEY_UPDATE_ROWS", 1)
    communes = [doi_ngo, le_loi, *country]
    for n, commune in enumerate(communes):
        _add_to_rollup(commune, responses=40, satisfied=n * 7)
    before = stored()

    with CaptureQueriesContext(connection) as seen:
        services.statuses_after_surveys(pairs=[(c.pk, YEAR) for c in communes])

    updates = [q for q in seen.captured_queries if "survey_satisfied = v.satisfied" in q["sql"]]
    assert len(updates) == len(communes)
    now = stored()
    assert all(now[c.pk][2] == before[c.pk][2] + 40 for c in communes)  # survey_responses
    assert_as_a_whole_evaluation()


def test_a_failing_write_of_the_statuses_raises_and_leaves_them_as_they_were(
    country, doi_ngo, le_loi, monkeypatch
):
    """The statements sent without waiting still stop the recompute at their first error,
    as Django's error, and the caller's transaction leaves every status as it was."""
    from django.db import DatabaseError, transaction

    monkeypatch.setattr(services, "SURVEY_UPDATE_ROWS", 1)
    broken = {
        vendor: sql.replace("survey_satisfied = v.satisfied", "survey_satisfied = v.no_such")
        for vendor, sql in services._SURVEY_UPDATE_SQL.items()
    }
    monkeypatch.setattr(services, "_SURVEY_UPDATE_SQL", broken)
    for commune in (doi_ngo, le_loi):
        _add_to_rollup(commune, responses=40, satisfied=0)
    before, changes = stored(), StatusChange.objects.count()

    with pytest.raises(DatabaseError), transaction.atomic():
        services.statuses_after_surveys(pairs=[(doi_ngo.pk, YEAR), (le_loi.pk, YEAR)])

    assert stored() == before
    assert StatusChange.objects.count() == changes

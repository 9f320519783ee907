"""Every branch of the certification rule, as a table: facts in, status and reasons out."""

import dataclasses
import datetime
from decimal import Decimal

import pytest

from communes import numbers
from targets import rules
from targets.rules import EvidenceFact, Facts, Thresholds

YEAR = 2023
E1, M1, S1, P1, P2, PS = 1, 2, 3, 4, 5, 6
CRITERIA = [
    rules.Criterion(id=E1, code="E1", kind="evidence", is_required=True),
    rules.Criterion(id=M1, code="M1", kind="measured", is_required=True, threshold=Decimal(95)),
    rules.Criterion(id=S1, code="S1", kind="survey", is_required=True),
    rules.Criterion(id=P1, code="P1", kind="evidence", is_required=False, points=10),
    rules.Criterion(id=P2, code="P2", kind="evidence", is_required=False, points=10),
    rules.Criterion(id=PS, code="PS", kind="survey", is_required=False, points=5),
]
RULE = Thresholds(satisfaction_threshold=Decimal(85), min_responses=30, pass_score=20)
APPROVED = EvidenceFact("approved")
COMPLETE = Facts(
    committee_on=datetime.date(2023, 2, 1),
    launched_on=datetime.date(2023, 3, 1),
    evidence={E1: APPROVED, M1: EvidenceFact("approved", Decimal(97)), P1: APPROVED, P2: APPROVED},
    responses=40,
    satisfied=36,
)


def but(**changes):
    """The complete facts with some fields changed; ``evidence`` entries are merged in."""
    evidence = dict(COMPLETE.evidence)
    for criterion_id, fact in changes.pop("evidence", {}).items():
        if fact is None:
            evidence.pop(criterion_id, None)
        else:
            evidence[criterion_id] = fact
    return dataclasses.replace(COMPLETE, evidence=evidence, **changes)


def reason(code, **params):
    return {"code": code, "params": params}


CASES = [
    # --- everything met
    ("everything met", COMPLETE, RULE, "CERTIFIED", []),
    ("committee set up on the last day of the year", but(committee_on=datetime.date(2023, 12, 31)),
     RULE, "CERTIFIED", []),
    ("measured value exactly at the threshold",
     but(evidence={M1: EvidenceFact("approved", Decimal(95))}), RULE, "CERTIFIED", []),
    ("satisfaction exactly at the threshold", but(responses=40, satisfied=34), RULE, "CERTIFIED",
     []),
    ("responses exactly at the minimum", but(responses=30, satisfied=30), RULE, "CERTIFIED", []),
    ("no pass score: scored criteria are optional", but(evidence={P1: None, P2: None}),
     dataclasses.replace(RULE, pass_score=0), "CERTIFIED", []),
    # --- rule 1: committee and launch
    ("no committee", but(committee_on=None), RULE, "NOT_STARTED",
     [reason("no_committee", year=YEAR)]),
    ("committee only set up the next year", but(committee_on=datetime.date(2024, 1, 1)), RULE,
     "NOT_STARTED", [reason("no_committee", year=YEAR)]),
    ("model not launched", but(launched_on=None), RULE, "NOT_STARTED",
     [reason("not_launched", year=YEAR)]),
    ("model launched the next year", but(launched_on=datetime.date(2024, 1, 2)), RULE,
     "NOT_STARTED", [reason("not_launched", year=YEAR)]),
    ("not started outranks a rejection, whose reason is still listed",
     but(committee_on=None, evidence={E1: EvidenceFact("rejected")}), RULE, "NOT_STARTED",
     [reason("no_committee", year=YEAR), reason("evidence_rejected", criterion="E1")]),
    # --- rule 2: required evidence
    ("required evidence missing", but(evidence={E1: None}), RULE, "IN_PROGRESS",
     [reason("evidence_missing", criterion="E1")]),
    ("required evidence still a draft", but(evidence={E1: EvidenceFact("draft")}), RULE,
     "IN_PROGRESS", [reason("evidence_missing", criterion="E1")]),
    ("required evidence awaiting review", but(evidence={E1: EvidenceFact("submitted")}), RULE,
     "IN_PROGRESS", [reason("evidence_awaiting_review", criterion="E1")]),
    ("required evidence rejected", but(evidence={E1: EvidenceFact("rejected")}), RULE, "NOT_MET",
     [reason("evidence_rejected", criterion="E1")]),
    ("a rejection outranks missing evidence, listed first",
     but(evidence={E1: None, M1: EvidenceFact("rejected")}), RULE, "NOT_MET",
     [reason("evidence_rejected", criterion="M1"), reason("evidence_missing", criterion="E1")]),
    ("measured value below its threshold",
     but(evidence={M1: EvidenceFact("approved", Decimal("92.5"))}), RULE, "NOT_MET",
     [reason("below_threshold", criterion="M1", value=92.5, threshold=95)]),
    ("measured value approved but empty", but(evidence={M1: EvidenceFact("approved")}), RULE,
     "IN_PROGRESS", [reason("value_missing", criterion="M1")]),
    ("measured value awaiting review", but(evidence={M1: EvidenceFact("submitted", Decimal(80))}),
     RULE, "IN_PROGRESS", [reason("evidence_awaiting_review", criterion="M1")]),
    # --- rule 3: surveys (survey criteria are met by the survey, never by uploaded evidence)
    ("too few survey responses", but(responses=29, satisfied=29), RULE, "IN_PROGRESS",
     [reason("too_few_responses", responses=29, minimum=30)]),
    ("too few responses is still in progress, even if few are satisfied",
     but(responses=10, satisfied=1), RULE, "IN_PROGRESS",
     [reason("too_few_responses", responses=10, minimum=30)]),
    ("no responses at all, with no configured minimum", but(responses=0, satisfied=0),
     dataclasses.replace(RULE, min_responses=0), "IN_PROGRESS",
     [reason("too_few_responses", responses=0, minimum=1)]),
    ("satisfaction below the threshold", but(responses=40, satisfied=33), RULE, "NOT_MET",
     [reason("satisfaction_below", rate=82.5, threshold=85)]),
    ("approved evidence for a survey criterion does not replace the survey",
     but(evidence={S1: APPROVED, PS: APPROVED}, responses=3, satisfied=3), RULE, "IN_PROGRESS",
     [reason("too_few_responses", responses=3, minimum=30)]),
    # --- rule 4: scored criteria
    ("score short, but pending criteria could still reach it",
     but(evidence={P2: EvidenceFact("submitted")}), RULE, "IN_PROGRESS",
     [reason("score_pending", score=15, pass_score=20)]),
    ("score short with a scored criterion missing", but(evidence={P2: None}), RULE, "IN_PROGRESS",
     [reason("score_pending", score=15, pass_score=20)]),
    ("score short with nothing left pending", but(evidence={P2: EvidenceFact("rejected")}), RULE,
     "NOT_MET", [reason("score_below", score=15, pass_score=20)]),
    ("a failed survey also loses the survey criterion's points",
     but(responses=40, satisfied=20, evidence={P2: EvidenceFact("rejected")}), RULE, "NOT_MET",
     [reason("satisfaction_below", rate=50, threshold=85),
      reason("score_below", score=10, pass_score=20)]),
]  # fmt: skip


@pytest.mark.parametrize(
    "facts, rule, status, reasons", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_rule_gives_the_status_and_the_reasons(facts, rule, status, reasons):
    verdict = rules.evaluate(year=YEAR, facts=facts, criteria=CRITERIA, rule=rule)
    assert (verdict.status, verdict.reasons) == (status, reasons)


def test_every_reason_leads_to_a_status_short_of_certified():
    assert set(rules.LEADS_TO.values()) == {"NOT_STARTED", "NOT_MET", "IN_PROGRESS"}
    used = {r["code"] for case in CASES for r in case[4]}
    assert used == set(rules.LEADS_TO), "every reason code has a case in the table"


def test_the_verdict_carries_the_figures_behind_the_status():
    facts = but(evidence={E1: EvidenceFact("submitted"), P2: None}, responses=50, satisfied=45)
    verdict = rules.evaluate(year=YEAR, facts=facts, criteria=CRITERIA, rule=RULE)
    assert verdict.evidence_required == 2  # E1 and M1; the survey criterion needs no upload
    assert verdict.evidence_approved == 1
    assert verdict.score == 15  # P1 10 + the survey's 5
    assert (verdict.survey_responses, verdict.survey_satisfied) == (50, 45)


@pytest.mark.parametrize(
    "responses, satisfied, percent",
    [(0, 0, None), (40, 36, Decimal("90.0")), (3, 2, Decimal("66.7")), (8, 7, Decimal("87.5"))],
)
def test_the_satisfaction_rate_is_a_percent_with_one_decimal(responses, satisfied, percent):
    assert numbers.percent(satisfied, responses) == percent

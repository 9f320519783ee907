"""The certification rule of DESIGN.md, once, as a pure function of a commune's facts.

No database here: ``targets.services`` gathers the facts of every commune in a handful
of queries and calls ``evaluate`` for each; tests call it with hand-made facts.

A commune C is CERTIFIED for year Y when all hold:

1. C has a steering committee established, and the model launched, on or before the
   end of Y;
2. every required criterion active in Y has approved evidence of C for Y (a measured
   criterion also meets its threshold); criteria derived from surveys are met by rule 3,
   not by uploaded evidence;
3. C's survey responses dated in Y number at least the minimum and the satisfied
   share is at least the threshold;
4. the points of the scored criteria met reach the pass score.

Otherwise the reasons decide the status, the most serious first: NOT_STARTED (no
committee or no launch) > NOT_MET (something rejected or a threshold failed) >
IN_PROGRESS (something missing or awaiting review).
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from communes.models import CriterionKind, EvidenceState
from communes.numbers import percent_below
from surveys import rules as survey_rules
from targets.models import Status

# Reason codes, and the status each one leads to.
NO_COMMITTEE = "no_committee"  # {year}
NOT_LAUNCHED = "not_launched"  # {year}
EVIDENCE_MISSING = "evidence_missing"  # {criterion}
EVIDENCE_AWAITING_REVIEW = "evidence_awaiting_review"  # {criterion}
EVIDENCE_REJECTED = "evidence_rejected"  # {criterion}
VALUE_MISSING = "value_missing"  # {criterion}: approved, but the measured value is empty
BELOW_THRESHOLD = "below_threshold"  # {criterion, value, threshold}
TOO_FEW_RESPONSES = "too_few_responses"  # {responses, minimum}
SATISFACTION_BELOW = "satisfaction_below"  # {rate, threshold} (percent)
SCORE_PENDING = "score_pending"  # {score, pass_score}: short, but pending points could reach it
SCORE_BELOW = "score_below"  # {score, pass_score}: short, even if everything pending passed

LEADS_TO = {
    NO_COMMITTEE: Status.NOT_STARTED,
    NOT_LAUNCHED: Status.NOT_STARTED,
    EVIDENCE_REJECTED: Status.NOT_MET,
    BELOW_THRESHOLD: Status.NOT_MET,
    SATISFACTION_BELOW: Status.NOT_MET,
    SCORE_BELOW: Status.NOT_MET,
    EVIDENCE_MISSING: Status.IN_PROGRESS,
    EVIDENCE_AWAITING_REVIEW: Status.IN_PROGRESS,
    VALUE_MISSING: Status.IN_PROGRESS,
    TOO_FEW_RESPONSES: Status.IN_PROGRESS,
    SCORE_PENDING: Status.IN_PROGRESS,
}

# The most serious status wins.
PRECEDENCE = [Status.NOT_STARTED, Status.NOT_MET, Status.IN_PROGRESS, Status.CERTIFIED]
_RANK = {code: PRECEDENCE.index(status) for code, status in LEADS_TO.items()}
# The status each reason leads to, as the plain string a Verdict holds.
_STATUS_OF = {code: str(status) for code, status in LEADS_TO.items()}
_CERTIFIED = str(Status.CERTIFIED)
_PENDING = frozenset({EVIDENCE_MISSING, EVIDENCE_AWAITING_REVIEW, VALUE_MISSING})
# Plain strings: compared for every criterion of every commune of the country.
_DRAFT, _SUBMITTED, _REJECTED, _APPROVED = map(
    str,
    (EvidenceState.DRAFT, EvidenceState.SUBMITTED, EvidenceState.REJECTED, EvidenceState.APPROVED),
)
_SURVEY, _MEASURED = str(CriterionKind.SURVEY), str(CriterionKind.MEASURED)


@dataclass(frozen=True, slots=True)
class Criterion:
    """What the rule needs of a checklist criterion active in the year."""

    id: int
    code: str
    kind: str
    is_required: bool
    points: int = 0
    threshold: Decimal | None = None


class EvidenceFact(NamedTuple):
    """A commune's evidence for one criterion. A named tuple rather than a dataclass: the
    recompute of a whole country builds hundreds of thousands of them. Any (state, value)
    pair will do: the rule unpacks it."""

    state: str
    value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The year's CertificationRule."""

    satisfaction_threshold: Decimal = Decimal("85")
    min_responses: int = 30
    pass_score: int = 0


@dataclass(frozen=True, slots=True)
class Facts:
    """One commune's facts for one year."""

    committee_on: datetime.date | None = None  # its earliest commune-level committee
    launched_on: datetime.date | None = None
    # By criterion id: an EvidenceFact, or any (state, value) pair.
    evidence: Mapping[int, tuple[str, Decimal | None]] = field(default_factory=dict)
    responses: int = 0  # survey responses dated in the year
    satisfied: int = 0


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    reasons: list[dict[str, Any]]
    survey_responses: int
    survey_satisfied: int
    evidence_required: int
    evidence_approved: int
    score: int


def _number(value: Decimal) -> int | float:
    """A JSON-friendly number: 95 rather than 95.00, 92.5 rather than "92.50"."""
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _reason(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def _survey_reasons(responses: int, satisfied: int, rule: Thresholds) -> list[dict[str, Any]]:
    """Rule 3 (``surveys.rules``). Too few responses is still in progress; a low share is a
    failed threshold."""
    outcome = survey_rules.survey_outcome(
        responses=responses,
        satisfied=satisfied,
        min_responses=rule.min_responses,
        threshold=rule.satisfaction_threshold,
    )
    if outcome == survey_rules.TOO_FEW:
        minimum = survey_rules.survey_minimum(rule.min_responses)
        return [_reason(TOO_FEW_RESPONSES, responses=responses, minimum=minimum)]
    if outcome == survey_rules.BELOW:
        rate = percent_below(satisfied, responses, rule.satisfaction_threshold)
        return [
            _reason(
                SATISFACTION_BELOW,
                rate=_number(rate) if rate is not None else None,
                threshold=_number(rule.satisfaction_threshold),
            )
        ]
    return []


def survey_met(responses: int, satisfied: int, rule: Thresholds) -> bool:
    """Whether rule 3 is met by these counts. A verdict whose survey test is met names no
    survey count (``compose`` adds the survey criteria's points and no survey reason):
    its status, score and reasons are the same for every such count, so a recompute of
    many communes may compose each distinct part once for all of them."""
    outcome = survey_rules.survey_outcome(
        responses=responses,
        satisfied=satisfied,
        min_responses=rule.min_responses,
        threshold=rule.satisfaction_threshold,
    )
    return outcome == survey_rules.MET


class Checklist:
    """The criteria active in a year, prepared once for the evaluation of many communes:
    what each criterion asks, and the reasons it can give, are read from it here, not
    again for every commune.

    ``evaluate`` takes one (the recompute builds one per year) or a plain sequence of
    ``Criterion``, which it prepares itself.
    """

    __slots__ = ("criteria", "evidence_steps", "survey_points")

    def __init__(self, criteria: Iterable[Criterion]):
        self.criteria = tuple(criteria)
        # Survey criteria are met by rule 3 alone: they only add their points.
        self.survey_points = sum(c.points for c in self.criteria if c.kind == _SURVEY)
        # Per evidence-backed criterion, in checklist order: (id, is required, points,
        # the threshold of a measured criterion, its code, the reasons that name nothing
        # but the criterion, by outcome, with their rank). The reasons are shared by the
        # verdicts of every commune: read them, never change them.
        self.evidence_steps = tuple(
            (
                c.id,
                c.is_required,
                c.points,
                c.threshold if c.kind == _MEASURED else None,
                c.code,
                {
                    code: (_RANK[code], _reason(code, criterion=c.code))
                    for code in (
                        EVIDENCE_MISSING,
                        EVIDENCE_AWAITING_REVIEW,
                        EVIDENCE_REJECTED,
                        VALUE_MISSING,
                    )
                },
            )
            for c in self.criteria
            if c.kind != _SURVEY
        )


# The rank of each status in PRECEDENCE, where reasons of each status are gathered.
_NOT_STARTED, _NOT_MET, _IN_PROGRESS = 0, 1, 2


# A verdict's reasons by the status each leads to, the most serious first (NOT_STARTED,
# NOT_MET, IN_PROGRESS).
ByRank = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


class Part(NamedTuple):
    """What the rule gives of a commune's year without its survey counts (rules 1 and 2,
    and the evidence's points): the verdict is ``compose(part, responses, satisfied)``.
    A recompute after a change of survey counts alone composes the stored part with the
    new counts instead of reading the evidence again (``targets.services``).

    ``reasons`` holds the reasons of each status, most serious first (NOT_STARTED,
    NOT_MET, IN_PROGRESS), in the order found; none of them is a survey or score reason
    (``SURVEY_CODES``)."""

    reasons: ByRank
    evidence_required: int
    evidence_approved: int
    score: int  # the points of the evidence-backed criteria met
    pending: int  # the points of those missing or awaiting review


# The reasons that depend on the survey counts: the survey's own and the score's (the
# survey criteria's points count in the score). The others are the part's.
SURVEY_CODES = frozenset({TOO_FEW_RESPONSES, SATISFACTION_BELOW, SCORE_PENDING, SCORE_BELOW})


def split_reasons(
    reasons: Iterable[dict[str, Any]],
) -> tuple[ByRank, list[dict[str, Any]]]:
    """A verdict's reasons as the part's, by the status each leads to (the order within
    a status kept), and the survey and score ones (``SURVEY_CODES``), in order."""
    by_rank: ByRank = ([], [], [])
    surveys: list[dict[str, Any]] = []
    for reason in reasons:
        code = reason["code"]
        if code in SURVEY_CODES:
            surveys.append(reason)
        else:
            by_rank[_RANK[code]].append(reason)
    return by_rank, surveys


def survey_reasons_of(reasons: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The survey and score reasons of a verdict's, in order."""
    return [reason for reason in reasons if reason["code"] in SURVEY_CODES]


def evaluate_part(*, year: int, facts: Facts, criteria: Checklist | Sequence[Criterion]) -> Part:
    """Rules 1 and 2 and the evidence's points: what does not depend on the survey
    counts. The reasons may be shared with other parts of the same ``Checklist``: they
    are read, never changed."""
    checklist = criteria if isinstance(criteria, Checklist) else Checklist(criteria)
    end_of_year = datetime.date(year, 12, 31)
    # The reasons of each status, in the order found; the most serious status first.
    by_rank: ByRank = ([], [], [])
    if facts.committee_on is None or facts.committee_on > end_of_year:
        by_rank[_NOT_STARTED].append(_reason(NO_COMMITTEE, year=year))
    if facts.launched_on is None or facts.launched_on > end_of_year:
        by_rank[_NOT_STARTED].append(_reason(NOT_LAUNCHED, year=year))

    # Rule 2, criterion by criterion: the evidence's state, then a measured value.
    evidence = facts.evidence
    required = approved = score = pending_points = 0
    for criterion_id, is_required, points, threshold, code, prepared in checklist.evidence_steps:
        fact = evidence.get(criterion_id)
        if fact is None:
            outcome = EVIDENCE_MISSING
        else:
            state, value = fact
            if state == _APPROVED:
                if is_required:
                    approved += 1
                if threshold is None:
                    outcome = None
                elif value is None:
                    outcome = VALUE_MISSING
                elif value < threshold:
                    outcome = BELOW_THRESHOLD
                else:
                    outcome = None
            elif state == _SUBMITTED:
                outcome = EVIDENCE_AWAITING_REVIEW
            elif state == _REJECTED:
                outcome = EVIDENCE_REJECTED
            else:
                outcome = EVIDENCE_MISSING
        if is_required:
            required += 1
        if outcome is None:
            score += points
            continue
        if points and outcome in _PENDING:
            pending_points += points
        if not is_required:
            continue
        if outcome == BELOW_THRESHOLD:
            # Only a measured criterion with a threshold and a value gets here.
            assert fact is not None and fact[1] is not None and threshold is not None
            by_rank[_NOT_MET].append(
                _reason(
                    outcome,
                    criterion=code,
                    value=_number(fact[1]),
                    threshold=_number(threshold),
                )
            )
        else:
            rank, reason = prepared[outcome]
            by_rank[rank].append(reason)
    return Part(by_rank, required, approved, score, pending_points)


def compose(
    part: Part,
    *,
    responses: int,
    satisfied: int,
    criteria: Checklist | Sequence[Criterion],
    rule: Thresholds,
) -> Verdict:
    """The verdict of ``part`` with the year's survey counts: rule 3, the survey
    criteria's points, rule 4, and the status the reasons lead to."""
    checklist = criteria if isinstance(criteria, Checklist) else Checklist(criteria)
    survey_reasons = _survey_reasons(responses, satisfied, rule)
    score, pending_points = part.score, part.pending
    survey_rank = -1
    if not survey_reasons:
        score += checklist.survey_points
    else:
        survey_rank = _RANK[survey_reasons[0]["code"]]
        if survey_rank == _IN_PROGRESS:  # too few responses: their points may still come
            pending_points += checklist.survey_points
    score_reason = None
    if score < rule.pass_score:
        code = SCORE_PENDING if score + pending_points >= rule.pass_score else SCORE_BELOW
        score_reason = _reason(code, score=score, pass_score=rule.pass_score)

    # Most serious first; within one level, the part's (criteria in checklist order),
    # then the survey's, then the score's.
    not_started, not_met, in_progress = part.reasons
    if survey_rank < 0 and score_reason is None:
        reasons = [*not_started, *not_met, *in_progress]
    else:
        added: tuple[list[dict[str, Any]], ...] = ([], [], [])
        if survey_rank >= 0:
            added[survey_rank].extend(survey_reasons)
        if score_reason is not None:
            added[_RANK[score_reason["code"]]].append(score_reason)
        reasons = [
            *not_started,
            *added[_NOT_STARTED],
            *not_met,
            *added[_NOT_MET],
            *in_progress,
            *added[_IN_PROGRESS],
        ]
    return Verdict(
        status=_STATUS_OF[reasons[0]["code"]] if reasons else _CERTIFIED,
        reasons=reasons,
        survey_responses=responses,
        survey_satisfied=satisfied,
        evidence_required=part.evidence_required,
        evidence_approved=part.evidence_approved,
        score=score,
    )


def evaluate(
    *,
    year: int,
    facts: Facts,
    criteria: Checklist | Sequence[Criterion],
    rule: Thresholds,
) -> Verdict:
    """The status of one commune for ``year``, its reasons and figures, as a ``Verdict``:
    ``compose(evaluate_part(...), survey counts)``.

    The reasons may share dictionaries with other verdicts of the same ``Checklist``:
    they are read (stored, rendered), never changed.
    """
    checklist = criteria if isinstance(criteria, Checklist) else Checklist(criteria)
    return compose(
        evaluate_part(year=year, facts=facts, criteria=checklist),
        responses=facts.responses,
        satisfied=facts.satisfied,
        criteria=checklist,
        rule=rule,
    )

"""The survey test of the certification rule (DESIGN.md, rule 3), written once.

Pure: no database. The engine (``targets.rules``), the checklist, the commune's surveys
page and its trend call it, so they cannot disagree at a boundary.
"""

from dataclasses import dataclass
from decimal import Decimal

from communes.numbers import percent

MET = "met"
TOO_FEW = "too_few"  # still collecting: in progress, not a failure
BELOW = "below"  # enough responses, the satisfied share is under the threshold


def survey_minimum(min_responses: int) -> int:
    """The responses the rule asks for: zero responses never show satisfaction."""
    return max(min_responses, 1)


def survey_outcome(
    *, responses: int, satisfied: int, min_responses: int, threshold: Decimal
) -> str:
    """``MET``, ``TOO_FEW`` or ``BELOW`` for ``satisfied`` of ``responses`` in a year.

    The share is compared exactly (satisfied / responses >= threshold / 100), never the
    rounded percentage: 402 of 473 is 84.99%, shown as 85.0%, and is below 85%.
    """
    if responses < survey_minimum(min_responses):
        return TOO_FEW
    return MET if satisfied * 100 >= threshold * responses else BELOW


@dataclass(frozen=True)
class SurveyFigures:
    """A commune's desk survey in a year, against that year's certification rule."""

    responses: int
    satisfied: int
    threshold: Decimal
    min_responses: int

    @property
    def rate(self) -> Decimal | None:
        """The satisfied share for display (one decimal); the verdict is ``state``."""
        return percent(self.satisfied, self.responses)

    @property
    def state(self) -> str:
        """``met``, ``too_few`` (still collecting) or ``below`` (the share is too low)."""
        return survey_outcome(
            responses=self.responses,
            satisfied=self.satisfied,
            min_responses=self.min_responses,
            threshold=self.threshold,
        )

    @property
    def meets_rule(self) -> bool:
        return self.state == MET

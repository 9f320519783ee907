"""The targets part of the demo: the 30/60/100% targets, a rule per year, statuses."""

from decimal import Decimal

import pytest

from targets import demo
from targets.models import CertificationRule, CertificationStatus, YearTarget

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_the_targets_and_rules_and_computes_every_status(checklist):
    demo.seed()
    demo.seed()  # safe to run twice

    assert dict(YearTarget.objects.filter(district=None).values_list("year", "percent")) == {
        2023: Decimal("30"),
        2024: Decimal("60"),
        2025: Decimal("100"),
    }
    rule = CertificationRule.objects.get(year=2024)
    assert (rule.satisfaction_threshold, rule.min_responses) == (Decimal("85"), 30)
    # The checklist's scored criteria carry 20 points: 60% of them is 12.
    assert rule.pass_score == 12
    assert CertificationStatus.objects.count() == 3 * 209

"""Deterministic demo data of the targets app: the yearly targets and rules, then statuses.

Runs last in ``seed_demo`` (after the checklist, surveys and committees), so it can
size the pass score on the criteria that exist and compute every status once.
"""

import math
from decimal import Decimal

from django.db.models import Sum

from communes.models import Commune, Criterion
from targets import services
from targets.models import CertificationRule, YearTarget

YEARS = (2023, 2024, 2025, 2026)
# 2026 is an ordinary year after the 2025 reorganizations: all of the new province.
TARGETS = {2023: Decimal("30"), 2024: Decimal("60"), 2025: Decimal("100"), 2026: Decimal("100")}
# A commune with every scored criterion met passes; one that misses over 40% of the
# points does not.
PASS_SHARE = Decimal("0.6")


def pass_score_for(year: int) -> int:
    """60% of the points of the scored criteria active in ``year``, rounded up."""
    points = Criterion.objects.active_in(year).filter(points__gt=0).aggregate(s=Sum("points"))
    return math.ceil((points["s"] or 0) * PASS_SHARE)


def seed():
    # 2026 runs on today's units: seeded once they are loaded (load_units).
    today_loaded = Commune.objects.filter(valid_from__isnull=False).exists()
    for year in YEARS if today_loaded else YEARS[:-1]:
        YearTarget.objects.update_or_create(
            year=year, district=None, defaults={"percent": TARGETS[year]}
        )
        CertificationRule.objects.update_or_create(
            year=year,
            defaults={
                "satisfaction_threshold": Decimal("85"),
                "min_responses": 30,
                "pass_score": pass_score_for(year),
            },
        )
    services.statuses_recompute()

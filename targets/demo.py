"""Deterministic demo data of the targets app: the yearly targets and rules, then statuses.

Runs last in ``seed_demo`` (after the checklist, surveys and committees), so it can
size the pass score on the criteria that exist and compute every status once.
"""

import datetime
import math
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from communes.models import ChecklistDeadline, Commune, Criterion, District, Role, UserScope
from targets import decisions, services
from targets.models import CertificationRule, RecognitionDecision, YearTarget

# 2026 is an ordinary year after the 2025 reorganizations, seeded on today's units.
YEARS = (2023, 2024, 2025, 2026)
# Every programme year's deadlines: evidence by 15 December, reviews by the 31st.
DEADLINE_YEARS = (2023, 2024, 2025, 2026)
# District People's Committees recognized communes until 30/6/2025; the province after.
RECOGNIZING_LEVEL = {2023: "district", 2024: "district", 2025: "province", 2026: "province"}
DECISION_YEARS = (2023, 2024)
WITHDRAWAL_REASON = "Kiểm tra lại phát hiện hồ sơ minh chứng về Bộ phận một cửa chưa đúng thực tế."
# A minimal PDF standing for a signed scan (the upload check reads its magic bytes).
DEMO_SCAN = b"%PDF-1.4\n% demo: signed scan of the decision\n%%EOF\n"
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
                "recognizing_level": RECOGNIZING_LEVEL[year],
            },
        )
    for year in DEADLINE_YEARS:
        ChecklistDeadline.objects.update_or_create(
            year=year,
            defaults={
                "submission_deadline": datetime.date(year, 12, 15),
                "review_deadline": datetime.date(year, 12, 31),
            },
        )
    services.statuses_recompute()
    for year in DECISION_YEARS:
        seed_decisions(year)


def _reviewer(district):
    scope = (
        UserScope.objects.filter(role=Role.DISTRICT, district=district)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return scope.user if scope else None


def seed_decisions(year: int) -> None:
    """Each district's decision recognizing most of its certified communes of ``year``
    (a few left awaiting recognition), and in 2024 one withdrawal. Skipped when the
    year already has decisions (seed_demo runs twice safely)."""
    if RecognitionDecision.objects.filter(year=year).exists():
        return
    rng = random.Random(f"decisions-{year}")
    for index, district in enumerate(District.objects.order_by("code")):
        by = _reviewer(district)
        communes = Commune.objects.filter(district=district)
        awaiting = list(decisions.awaiting_recognition(year=year, communes=communes))
        if by is None or not awaiting:
            continue
        decision = decisions.decision_draft(year=year, by=by)
        # Every third district has one commune still waiting for its decision.
        if index % 3 == 2 and len(awaiting) > 1:
            decisions.decision_commune_remove(
                decision=decision, commune_id=awaiting[-1].commune_id, by=by
            )
        signed_on = datetime.date(year, 12, 20) + datetime.timedelta(days=rng.randrange(8))
        decisions.decision_update(
            decision=decision,
            by=by,
            number=f"{rng.randrange(1500, 4800)}/QĐ-UBND",
            signed_on=signed_on,
            signer=f"Chủ tịch UBND {district.name}",
            scan=SimpleUploadedFile("qd.pdf", DEMO_SCAN, content_type="application/pdf"),
        )
        decision = decisions.decision_issue(decision=decision, by=by)
        if year == 2024 and district.code == "218" and decision.entries.count() > 1:
            entry = decision.entries.order_by("commune__name").last()
            assert entry is not None  # more than one, counted above
            withdrawal = decisions.decision_withdraw_draft(
                decision=decision,
                by=by,
                commune_ids=[entry.commune_id],
                reason=WITHDRAWAL_REASON,
            )
            decisions.decision_update(
                decision=withdrawal,
                by=by,
                number=f"{rng.randrange(100, 900)}/QĐ-UBND",
                signed_on=datetime.date(year + 1, 3, 10),
                signer=f"Chủ tịch UBND {district.name}",
                scan=SimpleUploadedFile("qd.pdf", DEMO_SCAN, content_type="application/pdf"),
            )
            decisions.decision_issue(decision=withdrawal, by=by)

"""Builders for the certification engine's tests: a small checklist, evidence, surveys."""

import datetime
from decimal import Decimal

import pytest

from communes.models import (
    Commune,
    Criterion,
    CriterionKind,
    Evidence,
    EvidenceState,
    Level,
    SteeringCommittee,
)
from friendlygov.celery import app as celery_app
from surveys.models import Channel, SurveyResponse
from surveys.rollup import months_rebuild
from targets.models import CertificationRule, YearTarget


@pytest.fixture(autouse=True)
def tasks_in_process(monkeypatch):
    """Run tasks in-process, even when the suite runs with a broker (CI's PostgreSQL pass).

    Otherwise a test that queues a task would leave a message in Redis for a later
    worker. The real-worker tests turn this off again.
    """
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def checklist(db):
    """A checklist of 2023-2025, replacing whatever criteria the database holds.

    Required: TC-HS (evidence), TC-DUNG-HAN (measured, at least 95), TC-HL (survey).
    Scored: TC-D1 and TC-D2 (evidence, 10 points each); pass score 15.
    Also an old criterion retired in 2022, which no longer counts.
    """
    Criterion.objects.all().delete()
    criteria = {
        "TC-HS": Criterion.objects.create(
            code="TC-HS", group="facilities", title="Băng rôn, khẩu hiệu", kind="evidence"
        ),
        "TC-DUNG-HAN": Criterion.objects.create(
            code="TC-DUNG-HAN",
            group="procedures",
            title="Tỷ lệ hồ sơ đúng hạn",
            kind=CriterionKind.MEASURED,
            threshold=Decimal("95"),
            unit="%",
        ),
        "TC-HL": Criterion.objects.create(
            code="TC-HL", group="satisfaction", title="Sự hài lòng", kind=CriterionKind.SURVEY
        ),
        "TC-D1": Criterion.objects.create(
            code="TC-D1", group="it", title="Ứng dụng CNTT", kind="evidence", is_required=False,
            points=10,
        ),
        "TC-D2": Criterion.objects.create(
            code="TC-D2", group="communication", title="Nhân rộng cách làm hay",
            kind="evidence", is_required=False, points=10,
        ),
        "TC-CU": Criterion.objects.create(
            code="TC-CU", group="facilities", title="Tiêu chí cũ", kind="evidence",
            active_from=2020, active_to=2022,
        ),
    }  # fmt: skip
    for year, target in ((2023, 30), (2024, 60), (2025, 100)):
        CertificationRule.objects.update_or_create(
            year=year,
            defaults={"satisfaction_threshold": 85, "min_responses": 30, "pass_score": 15},
        )
        YearTarget.objects.update_or_create(year=year, district=None, defaults={"percent": target})
    return criteria


@pytest.fixture
def make_ready(checklist):
    """Give communes everything certification asks for in ``year`` (or only some of it)."""

    def ready(communes, year=2023, *, skip=(), states=None, responses=40, satisfied=36):
        states = states or {}
        committees, evidence, surveys = [], [], []
        for commune in communes:
            if "committee" not in skip:
                committees.append(
                    SteeringCommittee(
                        level=Level.COMMUNE,
                        commune=commune,
                        decision_number=f"QĐ-{commune.code}",
                        established_on=datetime.date(year, 2, 1),
                    )
                )
            for code, criterion in checklist.items():
                if code in ("TC-HL", "TC-CU") or code in skip:
                    continue
                evidence.append(
                    Evidence(
                        commune=commune,
                        criterion=criterion,
                        year=year,
                        state=states.get(code, EvidenceState.APPROVED),
                        value=Decimal("97") if code == "TC-DUNG-HAN" else None,
                    )
                )
            surveys.extend(
                SurveyResponse(
                    commune=commune,
                    answered_on=datetime.date(year, 1 + i % 12, 1 + i % 28),
                    channel=Channel.PAPER,
                    satisfied=i < satisfied,
                )
                for i in range(responses)
            )
        if "launch" not in skip:
            Commune.objects.filter(pk__in=[c.pk for c in communes]).update(
                model_launched_on=datetime.date(year, 3, 1)
            )
        SteeringCommittee.objects.bulk_create(committees)
        Evidence.objects.bulk_create(evidence)
        SurveyResponse.objects.bulk_create(surveys)
        months_rebuild(commune_ids=[c.pk for c in communes])

    return ready


@pytest.fixture
def years(reorganized_units):
    """Every period's units, and the province's targets of 2023 to 2026 (30, 60, 100 and
    100%)."""
    for year, percent in ((2023, 30), (2024, 60), (2025, 100), (2026, 100)):
        YearTarget.objects.update_or_create(year=year, district=None, defaults={"percent": percent})

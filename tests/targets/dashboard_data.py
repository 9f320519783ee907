"""Rows the dashboard tests set up directly: targets, statuses, committees, evidence,
adoptions and investment, and the extra units that grow the province to 2,000 communes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Max

from communes.models import (
    Commune,
    Criterion,
    District,
    Evidence,
    FacilityInvestment,
    GoodPractice,
    Level,
    PracticeAdoption,
    Province,
    SteeringCommittee,
)
from targets.models import CertificationStatus, ComputedProvince, Status, StatusChange, YearTarget

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COMPUTED_AT = datetime(2024, 12, 1, 2, 0, tzinfo=TZ)


def set_targets(**overrides):
    """The province's 30/60/100% targets (whatever a migration may already have put)."""
    for year, percent in {2023: 30, 2024: 60, 2025: 100, **overrides}.items():
        YearTarget.objects.update_or_create(year=year, district=None, defaults={"percent": percent})


def status_row(commune, year, status=Status.IN_PROGRESS, reasons=(), **figures):
    return CertificationStatus(
        commune=commune,
        year=year,
        status=status,
        reasons=list(reasons),
        survey_responses=figures.get("responses", 0),
        survey_satisfied=figures.get("satisfied", 0),
        evidence_required=figures.get("required", 0),
        evidence_approved=figures.get("approved", 0),
        computed_at=figures.get("at", COMPUTED_AT),
        changed_at=figures.get("at", COMPUTED_AT),
    )


def give_status(commune, year, status=Status.IN_PROGRESS, reasons=(), **figures):
    row = status_row(commune, year, status, reasons, **figures)
    row.save()
    stamp_provinces()
    return row


def stamp_provinces():
    """What every writer of statuses does (``targets.services``) for the rows written here
    directly: each province's stamp of a year moves to the latest ``computed_at`` of its
    statuses, never back (``targets.models.ComputedProvince``)."""
    latest = (
        CertificationStatus.objects.values_list("year", "commune__province_id")
        .annotate(at=Max("computed_at"))
        .order_by()
    )
    for year, province_id, at in latest:
        stamp, created = ComputedProvince.objects.get_or_create(
            year=year, province_id=province_id, defaults={"computed_at": at}
        )
        if not created and stamp.computed_at < at:
            stamp.computed_at = at
            stamp.save(update_fields=["computed_at"])


def criterion(code="CSVC-01"):
    return Criterion.objects.get_or_create(
        code=code, defaults={"group": "facilities", "title": f"Tiêu chí {code}", "kind": "evidence"}
    )[0]


def fast_friday():
    return GoodPractice.objects.get_or_create(
        code="ngay-thu-6-nhanh",
        defaults={
            "name": "Ngày thứ 6 nhanh",
            "description": "Thứ Sáu giải quyết thủ tục ngay trong ngày.",
            "origin": Commune.objects.get(code="7219"),
        },
    )[0]


def fill_communes(communes, *, year=2024):
    """For each of ``communes``: a status (every third certified), a commune committee,
    a submitted evidence item, a practice adoption and an investment row: every relation a
    dashboard reads, so that a per-row query would show in the query count."""
    communes = list(communes)
    item = criterion()
    practice = fast_friday()
    CertificationStatus.objects.bulk_create(
        status_row(
            c,
            year,
            Status.CERTIFIED if i % 3 == 0 else Status.IN_PROGRESS,
            [] if i % 3 == 0 else [{"code": "evidence_missing", "params": {"criterion": "X"}}],
            responses=40,
            satisfied=36,
            required=10,
            approved=10 if i % 3 == 0 else 7,
        )
        for i, c in enumerate(communes)
    )
    stamp_provinces()
    StatusChange.objects.bulk_create(
        StatusChange(
            commune=c, year=year, from_status="", to_status=Status.IN_PROGRESS, at=COMPUTED_AT
        )
        for c in communes
    )
    SteeringCommittee.objects.bulk_create(
        SteeringCommittee(
            level=Level.COMMUNE, commune=c, decision_number="1/QĐ", established_on=date(2023, 3, 1)
        )
        for c in communes
    )
    Evidence.objects.bulk_create(
        Evidence(commune=c, criterion=item, year=year, state="submitted") for c in communes
    )
    PracticeAdoption.objects.bulk_create(
        PracticeAdoption(practice=practice, commune=c, adopted_on=date(year, 5, 1))
        for c in communes[::2]
    )
    FacilityInvestment.objects.bulk_create(
        FacilityInvestment(
            district_id=c.district_id, commune=c, year=year, planned_vnd=1000, spent_vnd=500
        )
        for c in communes[::5]
    )


def grow_province(total=2000, *, into_district=None, year=2024):
    """Add districts and communes (with their rows, see ``fill_communes``) until the
    province has ``total`` communes. Half of the new communes go to ``into_district``
    when given, so that district pages grow too."""
    province = Province.objects.get(code="24")
    missing = total - Commune.objects.count()
    districts = District.objects.bulk_create(
        District(code=f"9{n:03d}", name=f"Huyện Thử {n}", kind="huyện", province=province)
        for n in range(10)
    )
    new = []
    for n in range(missing):
        if into_district is not None and n % 2 == 0:
            district = into_district
        else:
            district = districts[n % len(districts)]
        new.append(
            Commune(
                code=f"8{n:04d}",
                name=f"Xã Thử {n}",
                search_name=f"xa thu {n}",
                kind="xã",
                district=district,
                province_id=district.province_id,
                model_launched_on=date(2023, 5, 1),
            )
        )
    created = Commune.objects.bulk_create(new)
    fill_communes(created, year=year)
    assert Commune.objects.count() == total
    return created

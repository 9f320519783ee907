"""Reads of the targets app that pages, exports and the API share."""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q

from communes.models import District
from targets.models import CertificationStatus, Status, YearTarget


@dataclass(frozen=True)
class Progress:
    """Certified communes against a target, for one scope (province or district)."""

    total: int
    certified: int
    target_percent: Decimal

    @property
    def percent(self) -> Decimal:
        if not self.total:
            return Decimal("0.0")
        share = Decimal(self.certified) * 100 / Decimal(self.total)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def needed(self) -> int:
        """Communes that must be certified to reach the target: ceil(target% x total)."""
        return math.ceil(Decimal(self.total) * self.target_percent / 100)

    @property
    def gap(self) -> int:
        """Communes still needed to reach the target (0 once it is reached)."""
        return max(self.needed - self.certified, 0)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "certified": self.certified,
            "percent": float(self.percent),
            "target_percent": float(self.target_percent),
            "gap": self.gap,
        }


def target_percents(*, year: int) -> tuple[Decimal, dict[int, Decimal]]:
    """The province-wide target of ``year`` and the per-district overrides (one query)."""
    province = Decimal("0")
    overrides = {}
    for target in YearTarget.objects.filter(year=year):
        if target.district_id is None:
            province = target.percent
        else:
            overrides[target.district_id] = target.percent
    return province, overrides


def progress_by_district(*, year: int, districts=None):
    """Each district with its ``progress`` for ``year``, and the total over them.

    ``districts`` is a District queryset (already scoped to the caller); two queries in
    all, whatever the number of districts and communes.
    """
    districts = districts if districts is not None else District.objects.all()
    province_target, overrides = target_percents(year=year)
    rows = list(
        districts.annotate(
            communes_total=Count("communes", distinct=True),
            communes_certified=Count(
                "communes__statuses",
                filter=Q(communes__statuses__year=year)
                & Q(communes__statuses__status=Status.CERTIFIED),
                distinct=True,
            ),
        ).order_by("code")
    )
    for district in rows:
        district.progress = Progress(
            total=district.communes_total,
            certified=district.communes_certified,
            target_percent=overrides.get(district.pk, province_target),
        )
    overall = Progress(
        total=sum(d.communes_total for d in rows),
        certified=sum(d.communes_certified for d in rows),
        target_percent=province_target,
    )
    return overall, rows


def commune_status(*, commune, year: int) -> CertificationStatus | None:
    """The stored status of ``commune`` for ``year`` (None until it is first computed)."""
    return CertificationStatus.objects.filter(commune=commune, year=year).first()


def last_computed_at(*, year: int):
    """When the statuses of ``year`` were last computed (None if never)."""
    return CertificationStatus.objects.filter(year=year).aggregate(at=Max("computed_at"))["at"]

"""Reads of the targets app that pages, exports and the API share."""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.db.models.lookups import IsNull
from django.utils.translation import gettext_lazy as _

from communes.models import (
    Commune,
    CommuneLink,
    District,
    Evidence,
    EvidenceState,
    FacilityInvestment,
    GoodPractice,
    Level,
    PracticeAdoption,
    ProgrammeYear,
    Province,
    SteeringCommittee,
    in_force_q,
    province_and_merged,
    reference_date,
    reference_dates,
)
from communes.numbers import percent
from communes.selectors import default_programme_years, programme_year, programme_years
from friendlygov import prepared
from targets.models import (
    CertificationStatus,
    ComputedProvince,
    ComputedYear,
    RecomputeRun,
    Status,
    StatusChange,
    YearTarget,
)


@dataclass(frozen=True)
class Progress:
    """Certified communes against a target, for one scope (province or district)."""

    total: int
    certified: int
    target_percent: Decimal
    # Communes recognized by an issued decision (targets.decisions), and whether the
    # year's target is measured on them rather than on the communes meeting the criteria.
    recognized: int = 0
    on_recognized: bool = False

    @property
    def counted(self) -> int:
        """The communes measured against the target."""
        return self.recognized if self.on_recognized else self.certified

    @property
    def awaiting(self) -> int:
        """Communes meeting the criteria, not yet recognized by a decision."""
        return max(self.certified - self.recognized, 0)

    @property
    def recognized_percent(self) -> Decimal:
        return percent_of(self.recognized, self.total) or Decimal("0.0")

    @property
    def measured_percent(self) -> Decimal:
        """The share measured against the target (recognized, or meeting the criteria)."""
        return self.recognized_percent if self.on_recognized else self.percent

    @property
    def percent(self) -> Decimal:
        return percent(self.certified, self.total) or Decimal("0.0")

    @property
    def needed(self) -> int:
        """Communes that must be certified to reach the target: ceil(target% x total)."""
        return math.ceil(Decimal(self.total) * self.target_percent / 100)

    @property
    def gap(self) -> int:
        """Communes still needed to reach the target (0 once it is reached)."""
        return max(self.needed - self.counted, 0)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "certified": self.certified,
            "percent": float(self.percent),
            "target_percent": float(self.target_percent),
            "gap": self.gap,
        }


def _recognized_by_district(*, year: int, district_ids) -> dict[int | None, int]:
    """{district id: communes recognized for ``year``} (one query)."""
    from targets.decisions import recognitions

    recognized = recognitions(
        year=year, communes=Commune.objects.filter(district_id__in=district_ids)
    )
    counts: dict[int | None, int] = {}
    for recognition in recognized.values():
        counts[recognition.district_id] = counts.get(recognition.district_id, 0) + 1
    return counts


def _target_on_recognized(year: int) -> bool:
    from targets.decisions import target_on_recognized

    return target_on_recognized(year=year)


@dataclass(frozen=True)
class YearSettings:
    """The reference dates and the targets of some programme years, read once by a page
    that shows one year's figures beside the chart of every year (two queries)."""

    dates: dict[int, date]
    targets: list[YearTarget]

    def holds(self, years: Iterable[int]) -> bool:
        """Whether the dates and targets of every one of ``years`` were read."""
        return all(year in self.dates for year in years)


def year_settings(years: Iterable[int]) -> YearSettings:
    years = list(years)
    # Unordered: the targets' default order joins the districts.
    targets = list(YearTarget.objects.filter(year__in=years).order_by())
    return YearSettings(reference_dates(years), targets)


def _reference_date(year: int, settings: YearSettings | None) -> date:
    if settings is not None and settings.holds([year]):
        return settings.dates[year]
    return reference_date(year)


def _year_targets(years: list[int], settings: YearSettings | None, district=None) -> list:
    """The targets of ``years``: the province-wide ones and ``district``'s own (one query,
    or none from ``settings``)."""
    if settings is None or not settings.holds(years):
        return list(
            YearTarget.objects.filter(Q(district=None) | Q(district=district), year__in=years)
        )
    own = district.pk if district is not None else None
    return [
        t
        for t in settings.targets
        if t.year in years and (t.district_id is None or t.district_id == own)
    ]


def target_percents(
    *, year: int, settings: YearSettings | None = None
) -> tuple[Decimal, dict[int, Decimal]]:
    """The province-wide target of ``year`` and the per-district overrides (one query, or
    none from ``settings``)."""
    province = Decimal("0")
    overrides = {}
    if settings is not None and settings.holds([year]):
        targets = [t for t in settings.targets if t.year == year]
    else:
        targets = list(YearTarget.objects.filter(year=year))
    for target in targets:
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
    on = reference_date(year)
    districts = districts.in_force(on=on)
    province_target, overrides = target_percents(year=year)
    rows = list(_commune_counts(districts, year=year, on=on).order_by("code"))
    recognized = _recognized_by_district(year=year, district_ids=[d.pk for d in rows])
    overall = _with_progress(
        rows, year=year, target=province_target, overrides=overrides, recognized=recognized
    )
    return overall, rows


def _commune_counts(units, *, year: int, on):
    """``units`` (a District or Province queryset) annotated with their communes in force
    on ``on`` (``communes_total``) and those of them certified in ``year``
    (``communes_certified``). The statuses are joined by the year (a commune has at most
    one a year), so neither count needs DISTINCT: joined by the commune alone, a
    country's three years of statuses were read and deduplicated for one (47 ms of an
    administrator's work list, BENCHMARKS.md)."""
    in_force = in_force_q(on, "communes__")
    return units.annotate(
        year_status=FilteredRelation(
            "communes__statuses", condition=Q(communes__statuses__year=year)
        )
    ).annotate(
        communes_total=Count("communes", filter=in_force),
        communes_certified=Count(
            "year_status", filter=Q(year_status__status=Status.CERTIFIED) & in_force
        ),
    )


def _with_progress(rows, *, year: int, target: Decimal, overrides, recognized) -> Progress:
    """Give each of ``rows`` (units annotated with ``communes_total`` and
    ``communes_certified``) its ``progress`` against its target (its own in ``overrides``,
    else ``target``), with ``recognized`` communes per unit; the total over them."""
    on_recognized = _target_on_recognized(year)
    for row in rows:
        row.progress = Progress(
            total=row.communes_total,
            certified=row.communes_certified,
            target_percent=overrides.get(row.pk, target),
            recognized=recognized.get(row.pk, 0),
            on_recognized=on_recognized,
        )
    return Progress(
        total=sum(row.communes_total for row in rows),
        certified=sum(row.communes_certified for row in rows),
        target_percent=target,
        recognized=sum(row.progress.recognized for row in rows),
        on_recognized=on_recognized,
    )


def progress_by_province(*, year: int):
    """Each province in force in ``year`` with its ``progress`` against the year's target,
    and the country's total: ``progress_by_district`` for an administrator, 63 rows and
    not 705. Two queries, whatever the number of communes."""
    from targets.decisions import recognitions

    on = reference_date(year)
    target, _overrides = target_percents(year=year)
    rows = list(
        _commune_counts(Province.objects.in_force(on=on), year=year, on=on).order_by("code")
    )
    recognized = Counter(r.province_id for r in recognitions(year=year).values())
    overall = _with_progress(rows, year=year, target=target, overrides={}, recognized=recognized)
    return overall, rows


def commune_status(*, commune, year: int) -> CertificationStatus | None:
    """The stored status of ``commune`` for ``year`` (None until it is first computed),
    with ``last_computed_at``: when it was last computed, what the pages show."""
    return (
        CertificationStatus.objects.filter(commune=commune, year=year)
        .annotate(last_computed_at=last_computation(F("computed_at"), year=year))
        .first()
    )


def last_computed_at(*, year: int, province_id: int | None = None):
    """When the statuses of ``year`` were last computed (None if never): of every commune,
    or only of the communes of ``province_id`` and of the provinces merged into it (today's
    Tỉnh Bắc Ninh reads 2023 on Tỉnh Bắc Giang's communes), so that a province's dashboard
    is told of its own recomputes and not of other provinces'. One query, over the
    provinces' stamps (``ComputedProvince``: a few dozen rows, not the statuses)."""
    stamps = ComputedProvince.objects.filter(year=year)
    if province_id is not None:
        stamps = stamps.filter(province_id__in=province_and_merged(province_id))
    return stamps.aggregate(at=last_computation(Max("computed_at"), year=year))["at"]


def last_computation(at, *, year) -> Case:
    """When statuses last computed at ``at`` (an expression: a status's ``computed_at``,
    the latest of several, or of their provinces' stamps) were last computed: the later
    of ``at`` and the last run of every commune of ``year`` (a value or an ``OuterRef``),
    which moves its year's time (``ComputedYear``) rather than each status's. None where
    ``at`` is None (no status, no stamp)."""
    run = Subquery(ComputedYear.objects.filter(year=year).values("computed_at")[:1])
    return Case(When(IsNull(at, True), then=None), default=Greatest(at, Coalesce(run, at)))


def provinces_with_communes(*, year: int) -> tuple[int, str]:
    """How many provinces have communes in force in ``year`` (on its reference date), and
    the name of the province when there is just one: more than one makes the public page
    a national summary by province; one makes it that province's page (Tỉnh Bắc Giang's in
    2024, Tỉnh Bắc Ninh's in 2026). Two queries, three with the name."""
    on = reference_date(year)
    provinces = Commune.objects.in_force(on=on).values("province_id").distinct()
    count = provinces.count()
    if count != 1:
        return count, ""
    return count, Province.objects.filter(pk__in=provinces).values_list("name", flat=True)[0]


def years_and_last_computations() -> tuple[list[int], dict[int, object]]:
    """The programme years, and when the statuses of each were last computed, in one
    query (each year's last computation read from its provinces' stamps,
    ``ComputedProvince``): what the public page needs to know whether its cached
    rendering is still current."""
    stamps = (
        ComputedProvince.objects.filter(year=OuterRef("year"))
        .order_by("-computed_at")
        .values("computed_at")[:1]
    )
    latest = last_computation(Subquery(stamps), year=OuterRef("year"))
    rows = list(
        ProgrammeYear.objects.order_by("year").annotate(at=latest).values_list("year", "at")
    )
    if not rows:  # before any target: the default years, in one grouped query
        years = default_programme_years()
        computed = dict(
            ComputedProvince.objects.filter(year__in=years)
            .values("year")
            .annotate(at=last_computation(Max("computed_at"), year=OuterRef("year")))
            .values_list("year", "at")
        )
        return years, {year: computed.get(year) for year in years}
    return [year for year, _at in rows], dict(rows)


# --- Dashboards -----------------------------------------------------------------------
# Every figure below is read from the precomputed CertificationStatus rows (and the raw
# tables only for counts the engine does not keep); nothing is recomputed on the fly.
# Each reader runs a fixed number of grouped queries, whatever the number of communes.


def dashboard_years() -> list[int]:
    """The years a dashboard offers: the programme years (every year with a target)."""
    return programme_years()


def dashboard_year(raw, years: list[int] | None = None) -> int:
    """The year a dashboard shows: ``raw`` if it is a programme year, otherwise the current
    programme year (this year clamped to the programme years: the same as the commune
    navigation opens). ``years``: the programme years, when the caller has them."""
    return programme_year(raw, years)


def _end_of(year: int) -> date:
    return date(year, 12, 31)


# The one percentage helper (communes.numbers), under the name the dashboards use.
percent_of = percent


class JSONArrayLength(Func):
    """The number of items of a JSON array column (SQLite and PostgreSQL)."""

    function = "json_array_length"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="jsonb_array_length", **extra_context)


@dataclass
class UnitFigures:
    """The dashboard figures of one scope (a district, or the sum of several)."""

    progress: Progress
    launched: int = 0
    committees: int = 0
    computed: int = 0
    in_progress: int = 0
    not_met: int = 0
    not_started: int = 0
    survey_responses: int = 0
    survey_satisfied: int = 0
    evidence_required: int = 0
    evidence_approved: int = 0
    evidence_awaiting: int = 0
    planned_vnd: int = 0
    spent_vnd: int = 0
    adopters: int = 0
    # How many investment rows the year has: none means the money was never reported.
    investment_rows: int = 0

    @property
    def total(self) -> int:
        return self.progress.total

    @property
    def certified(self) -> int:
        return self.progress.certified

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent_of(self.survey_satisfied, self.survey_responses)

    @property
    def evidence_rate(self) -> Decimal | None:
        return percent_of(self.evidence_approved, self.evidence_required)

    @property
    def spent_rate(self) -> Decimal | None:
        return percent_of(self.spent_vnd, self.planned_vnd)

    @property
    def adopters_rate(self) -> Decimal | None:
        return percent_of(self.adopters, self.total)

    _SUMMED = (
        "launched",
        "committees",
        "computed",
        "in_progress",
        "not_met",
        "not_started",
        "survey_responses",
        "survey_satisfied",
        "evidence_required",
        "evidence_approved",
        "evidence_awaiting",
        "planned_vnd",
        "spent_vnd",
        "adopters",
        "investment_rows",
    )

    @classmethod
    def summed(cls, parts, *, target_percent: Decimal) -> "UnitFigures":
        parts = list(parts)
        progress = Progress(
            total=sum(p.total for p in parts),
            certified=sum(p.certified for p in parts),
            target_percent=target_percent,
            recognized=sum(p.progress.recognized for p in parts),
            on_recognized=any(p.progress.on_recognized for p in parts),
        )
        return cls(progress, **{name: sum(getattr(p, name) for p in parts) for name in cls._SUMMED})


@dataclass
class DistrictFigures:
    """A district with its figures, as a row of the province's district table.

    In a year without districts (from 1/7/2025) a row is a group of communes by their
    former district or former province (``district`` None, ``group`` set).
    """

    district: District | None
    figures: UnitFigures
    # {practice id: communes of this district that adopted it by the end of the year}
    adoptions: dict = field(default_factory=dict)
    group: "FormerUnit | None" = None

    @property
    def code(self):
        return self.district.code if self.district else self.group.code

    @property
    def name(self):
        return self.district.name if self.district else self.group.name


@dataclass(frozen=True)
class FormerUnit:
    """A district or province of before 1/7/2025, as the lineage names it."""

    code: str
    name: str


@dataclass
class Dashboard:
    """Everything a province or district dashboard shows for one year."""

    year: int
    overall: UnitFigures
    # The rows of the table: districts (or former units), or provinces in the national view.
    districts: "Sequence[DistrictFigures | ProvinceFigures]"
    practices: list  # GoodPractice rows, each with .adopters (communes in scope by year end)
    # "district": rows are districts; "former_district" / "former_province": rows group
    # the communes of a year without districts by where they were before 1/7/2025.
    grouped_by: str = "district"
    reference_date: date | None = None


GROUPINGS = ("former_district", "former_province")


def grouping_choices():
    return [
        ("former_district", _("Theo huyện trước 01/07/2025")),
        ("former_province", _("Theo tỉnh trước 01/07/2025")),
    ]


def former_units(*, communes, by: str = "former_district") -> dict[int, FormerUnit]:
    """{commune id: its former district (or province)} for communes formed on 1/7/2025,
    derived from their lineage links: where most of their predecessors were. One query."""
    field_name = "predecessor_district" if by == "former_district" else "predecessor_province"
    votes: dict[int, Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    for successor_id, text in CommuneLink.objects.filter(successor__in=communes).values_list(
        "successor_id", field_name
    ):
        code, name = _split_code(text)
        votes[successor_id][code] += 1
        names.setdefault(code, name)
    return {
        commune_id: FormerUnit(code, names[code])
        for commune_id, counter in votes.items()
        for code in [min(counter, key=lambda c: (-counter[c], c))]
    }


def _split_code(text: str) -> tuple[str, str]:
    """("218", "Huyện Lục Nam") from "Huyện Lục Nam (218)"; a text without a code is its
    own key."""
    text = (text or "").strip()
    if text.endswith(")") and "(" in text:
        name, _, code = text[:-1].rpartition("(")
        return code.strip(), name.strip()
    return text, text


# How a row that has a ``commune`` reaches the key the dashboard groups communes by.
_RELATED_KEYS = {
    "province_id": "commune__province_id",
    "district_id": "commune__district_id",
    "pk": "commune_id",
}


def _awaiting_by(rkey: str, *, year: int, related: Q):
    """The evidence of ``year`` awaiting review, counted by ``rkey`` (a commune's unit as
    seen from the evidence), of the communes ``related`` selects."""
    return (
        Evidence.objects.filter(related, year=year, state=EvidenceState.SUBMITTED)
        .values(rkey)
        .annotate(n=Count("pk"))
        .values_list(rkey, "n")
    )


def _adoptions_by(rkey: str, *, year: int, related: Q):
    """The communes of ``related`` that adopted each practice by the end of ``year``,
    counted by ``rkey`` (a commune's unit as seen from its adoption). A commune adopts a
    practice once (adopt_practice_once): its rows are its communes."""
    return (
        PracticeAdoption.objects.filter(related, adopted_on__lte=_end_of(year))
        .values("practice_id", rkey)
        .annotate(n=Count("pk"))
    )


def _money_by_province(*, year: int, on: date):
    """The facility investment of ``year`` of the districts in force on ``on``, by
    province."""
    return (
        FacilityInvestment.objects.filter(in_force_q(on, "district__"), year=year)
        .values("district__province_id")
        .annotate(planned=Sum("planned_vnd"), spent=Sum("spent_vnd"), n=Count("pk"))
    )


# The national dashboard's statements that need nothing of the others, which a caller
# may read apart (``national_part``): what builds each, of the year and its reference
# date. The same statements, under the same names, as ``national_figures`` runs.
_NATIONAL_PARTS: dict[str, Callable[[int, date], QuerySet]] = {
    "awaiting": lambda year, on: _awaiting_by(
        _RELATED_KEYS["province_id"], year=year, related=in_force_q(on, "commune__")
    ),
    "adoptions": lambda year, on: _adoptions_by(
        _RELATED_KEYS["province_id"], year=year, related=in_force_q(on, "commune__")
    ),
    "money": lambda year, on: _money_by_province(year=year, on=on),
}
NATIONAL_PARTS = tuple(_NATIONAL_PARTS)


def national_part(name: str, *, year: int, settings: YearSettings | None = None) -> list:
    """The rows of one of the national dashboard's ``NATIONAL_PARTS`` (the evidence
    awaiting review, the practices' adoptions, the investment, by province): those
    ``national_figures`` reads (each statement built once per process), for a caller
    that reads them apart (``targets.dashboards.Figures.read_ahead``)."""
    return _national_rows(name, year=year, on=_reference_date(year, settings))


def _national_rows(name: str, *, year: int, on: date) -> list:
    build = _NATIONAL_PARTS[name]
    return prepared.rows(("national", name, year, on), lambda: build(year, on))


def _aggregates(
    *,
    year: int,
    on: date,
    key: str,
    communes,
    related: Q,
    prepared_as: str | None = None,
    apart: Mapping[str, Callable[[], list]] | None = None,
):
    """The dashboard's figures of ``year`` per ``key`` (``"province_id"``, ``"district_id"``
    or ``"pk"``) of the communes in force on ``on``: three grouped queries whatever their
    number.

    ``communes`` is a Commune queryset, ``related`` the same restriction seen from a row
    that has a ``commune`` (e.g. ``Q(commune__district_id__in=ids)``). ``prepared_as``:
    a name under which the three statements, which then depend only on the year and
    ``on``, are built once per process (``friendlygov.prepared``; the national view).
    ``apart``: what gives the rows of a statement (by its name, ``"awaiting"`` or
    ``"adoptions"``) that the caller reads apart (``national_part``)."""
    end = _end_of(year)
    rkey = _RELATED_KEYS[key]
    related = related & in_force_q(on, "commune__")

    def run(name, build):
        if apart and name in apart:
            return list(apart[name]())
        if prepared_as is None:
            return list(build())
        return prepared.rows((prepared_as, name, year, on), build)

    def counts_by_unit():
        # The communes, their statuses of the year (a commune has at most one a year),
        # and whether each has a committee and has adopted a practice, in one grouped
        # query: the communes in force are read once, and each test is one set of
        # commune ids (built once by the database, not once per commune).
        status = "year_row__status"
        with_committee = SteeringCommittee.objects.filter(
            level=Level.COMMUNE, established_on__lte=end
        ).values("commune_id")
        adopters = PracticeAdoption.objects.filter(adopted_on__lte=end).values("commune_id")
        return (
            communes.in_force(on=on)
            .annotate(year_row=FilteredRelation("statuses", condition=Q(statuses__year=year)))
            .values(key)
            .annotate(
                total=Count("pk"),
                launched=Count("pk", filter=Q(model_launched_on__lte=end)),
                computed=Count("year_row"),
                certified=Count("year_row", filter=Q(**{status: Status.CERTIFIED})),
                in_progress=Count("year_row", filter=Q(**{status: Status.IN_PROGRESS})),
                not_met=Count("year_row", filter=Q(**{status: Status.NOT_MET})),
                not_started=Count("year_row", filter=Q(**{status: Status.NOT_STARTED})),
                survey_responses=Sum("year_row__survey_responses"),
                survey_satisfied=Sum("year_row__survey_satisfied"),
                evidence_required=Sum("year_row__evidence_required"),
                evidence_approved=Sum("year_row__evidence_approved"),
                committees=Count("pk", filter=Q(pk__in=with_committee)),
                adopters=Count("pk", filter=Q(pk__in=adopters)),
            )
            .order_by()
        )

    def awaiting_by_unit():
        return _awaiting_by(rkey, year=year, related=related)

    def adoptions_by_unit():
        return _adoptions_by(rkey, year=year, related=related)

    counts = {row[key]: row for row in run("counts", counts_by_unit)}
    statuses = counts
    committees = {k: row["committees"] for k, row in counts.items()}
    adopters_any = {k: row["adopters"] for k, row in counts.items()}
    awaiting = dict(run("awaiting", awaiting_by_unit))
    adoptions: dict[int, dict[int, int]] = {}
    for row in run("adoptions", adoptions_by_unit):
        adoptions.setdefault(row[rkey], {})[row["practice_id"]] = row["n"]
    return counts, statuses, committees, awaiting, adoptions, adopters_any


def _figures(
    key, target_percent, parts, money=None, *, recognized: int = 0, on_recognized: bool = False
) -> UnitFigures:
    counts, statuses, committees, awaiting, _adoptions, adopters_any = parts
    c = counts.get(key, {})
    s = statuses.get(key, {})
    m = (money or {}).get(key, {})
    return UnitFigures(
        Progress(
            total=c.get("total", 0),
            certified=s.get("certified", 0),
            target_percent=target_percent,
            recognized=recognized,
            on_recognized=on_recognized,
        ),
        launched=c.get("launched", 0),
        committees=committees.get(key, 0),
        computed=s.get("computed", 0),
        in_progress=s.get("in_progress", 0),
        not_met=s.get("not_met", 0),
        not_started=s.get("not_started", 0),
        survey_responses=s.get("survey_responses") or 0,
        survey_satisfied=s.get("survey_satisfied") or 0,
        evidence_required=s.get("evidence_required") or 0,
        evidence_approved=s.get("evidence_approved") or 0,
        evidence_awaiting=awaiting.get(key, 0),
        planned_vnd=m.get("planned") or 0,
        spent_vnd=m.get("spent") or 0,
        investment_rows=m.get("n") or 0,
        adopters=adopters_any.get(key, 0),
    )


def dashboard_figures(
    *,
    year: int,
    districts,
    communes=None,
    group_by: str = "former_district",
    settings: YearSettings | None = None,
) -> Dashboard:
    """The figures of ``year`` for each district of ``districts`` (a scoped queryset) in
    force on the year's reference date, and their sum: nine queries, whatever the number
    of districts and communes.

    A year without districts (from 1/7/2025) is shown on ``communes`` (a scoped queryset)
    in force then, grouped by ``group_by`` (their former district or former province,
    from the lineage): eleven queries, whatever their number. ``settings``: the year's
    reference date and targets, when the caller has read them (two queries fewer)."""
    on = _reference_date(year, settings)
    district_list = list(districts.in_force(on=on).order_by("code"))
    province_target, overrides = target_percents(year=year, settings=settings)
    practices = list(GoodPractice.objects.select_related("origin").order_by("name"))
    if not district_list and communes is not None:
        return _dashboard_by_former_units(
            year=year,
            on=on,
            communes=communes,
            group_by=group_by,
            province_target=province_target,
            practices=practices,
        )
    ids = [d.pk for d in district_list]
    parts = _aggregates(
        year=year,
        on=on,
        key="district_id",
        communes=Commune.objects.filter(district_id__in=ids),
        related=Q(commune__district_id__in=ids),
    )
    money = {
        row["district_id"]: row
        for row in FacilityInvestment.objects.filter(year=year, district_id__in=ids)
        .values("district_id")
        .annotate(planned=Sum("planned_vnd"), spent=Sum("spent_vnd"), n=Count("pk"))
    }
    recognized = _recognized_by_district(year=year, district_ids=ids)
    on_recognized = _target_on_recognized(year)
    rows = [
        DistrictFigures(
            district,
            _figures(
                district.pk,
                overrides.get(district.pk, province_target),
                parts,
                money,
                recognized=recognized.get(district.pk, 0),
                on_recognized=on_recognized,
            ),
            parts[4].get(district.pk, {}),
        )
        for district in district_list
    ]
    # One district alone keeps its own target; several are measured against the province's.
    overall_target = rows[0].figures.progress.target_percent if len(rows) == 1 else province_target
    return _dashboard_of(
        rows, year=year, practices=practices, target=overall_target, grouped_by="district", on=on
    )


def _dashboard_of(rows, *, year, practices, target, grouped_by, on) -> Dashboard:
    """The dashboard of ``rows`` (districts, former units or provinces): their sum against
    ``target``, and each practice's adopters among them."""
    overall = UnitFigures.summed([r.figures for r in rows], target_percent=target)
    for practice in practices:
        practice.adopters = sum(r.adoptions.get(practice.pk, 0) for r in rows)
        practice.adopters_rate = percent_of(practice.adopters, overall.total)
    return Dashboard(
        year=year,
        overall=overall,
        districts=rows,
        practices=practices,
        grouped_by=grouped_by,
        reference_date=on,
    )


@dataclass
class ProvinceFigures:
    """A province with its figures, as a row of the national table (the whole country)."""

    province: Province
    figures: UnitFigures
    # {practice id: communes of this province that adopted it by the end of the year}
    adoptions: dict = field(default_factory=dict)
    district = None  # read by the tables of districts: a province row is not a district

    @property
    def code(self):
        return self.province.code

    @property
    def name(self):
        return self.province.name


def national_figures(
    *,
    year: int,
    settings: YearSettings | None = None,
    apart: Mapping[str, Callable[[], list]] | None = None,
) -> Dashboard:
    """The figures of ``year`` for each province in force on the year's reference date
    (its communes in force then), and the country's total: the national dashboard's rows.
    Ten queries whatever the number of provinces and communes; the country is
    measured against the province-wide target of the year. ``settings``: as
    ``dashboard_figures`` reads it. ``apart``: what gives the rows of those of
    ``NATIONAL_PARTS`` the caller reads apart (``national_part``; one query fewer here
    for each)."""
    on = _reference_date(year, settings)
    provinces = list(Province.objects.in_force(on=on).order_by("code"))
    target, _overrides = target_percents(year=year, settings=settings)
    practices = list(GoodPractice.objects.select_related("origin").order_by("name"))
    # The country's statements depend only on the year and its reference date: built
    # once per process. Those of ``NATIONAL_PARTS`` by their one builder, here or apart.
    reads: dict[str, Callable[[], list]] = {
        name: partial(_national_rows, name, year=year, on=on) for name in NATIONAL_PARTS
    }
    reads.update(apart or {})
    parts = _aggregates(
        year=year,
        on=on,
        key="province_id",
        communes=Commune.objects.all(),
        related=Q(),
        prepared_as="national",
        apart=reads,
    )
    money = {row["district__province_id"]: row for row in reads["money"]()}
    from targets.decisions import recognitions

    recognized = Counter(r.province_id for r in recognitions(year=year).values())
    on_recognized = _target_on_recognized(year)
    rows = [
        ProvinceFigures(
            province,
            _figures(
                province.pk,
                target,
                parts,
                money,
                recognized=recognized.get(province.pk, 0),
                on_recognized=on_recognized,
            ),
            parts[4].get(province.pk, {}),
        )
        for province in provinces
    ]
    return _dashboard_of(
        rows, year=year, practices=practices, target=target, grouped_by="province", on=on
    )


def _dashboard_by_former_units(*, year, on, communes, group_by, province_target, practices):
    group_by = group_by if group_by in GROUPINGS else GROUPINGS[0]
    in_force = communes.in_force(on=on)
    parts = _aggregates(
        year=year, on=on, key="pk", communes=in_force, related=Q(commune__in=in_force)
    )
    groups = former_units(communes=in_force, by=group_by)
    # Each commune's own investment rows (there is no district level to sum them at).
    money = {
        row["commune_id"]: row
        for row in FacilityInvestment.objects.filter(year=year, commune__in=in_force)
        .values("commune_id")
        .annotate(planned=Sum("planned_vnd"), spent=Sum("spent_vnd"), n=Count("pk"))
    }
    from targets.decisions import recognitions

    recognized = recognitions(year=year, communes=in_force)
    on_recognized = _target_on_recognized(year)
    unknown = FormerUnit("", _("Không rõ"))
    members: dict[FormerUnit, list[int]] = defaultdict(list)
    for commune_id in parts[0]:
        members[groups.get(commune_id, unknown)].append(commune_id)
    rows = []
    for group in sorted(members, key=lambda g: (g.code == "", g.code)):
        figures = [
            _figures(
                pk,
                province_target,
                parts,
                money,
                recognized=int(pk in recognized),
                on_recognized=on_recognized,
            )
            for pk in members[group]
        ]
        adoptions = Counter()
        for pk in members[group]:
            adoptions.update(parts[4].get(pk, {}))
        rows.append(
            DistrictFigures(
                None,
                UnitFigures.summed(figures, target_percent=province_target),
                dict(adoptions),
                group=group,
            )
        )
    return _dashboard_of(
        rows, year=year, practices=practices, target=province_target, grouped_by=group_by, on=on
    )


@dataclass(frozen=True)
class YearShare:
    """One point of the "certified share by year" chart."""

    year: int
    total: int
    certified: int
    target_percent: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.certified, self.total)


def share_by_year(
    *,
    communes,
    total: int | None = None,
    district=None,
    years=None,
    settings: YearSettings | None = None,
):
    """The certified share of ``communes`` (None: every commune) in each of ``years``
    (default: the programme years) against its target (the district's own target when
    ``district`` is given), each year on those of ``communes`` in force on its reference
    date (``total``, the count of the year shown, is no longer needed: each year counts
    its own). Four queries; two when ``settings`` holds the years' dates and targets."""
    years = years if years is not None else dashboard_years()
    if settings is not None and settings.holds(years):
        dates = settings.dates
    else:
        dates = reference_dates(years)
    totals = (
        (communes if communes is not None else Commune.objects.all()).aggregate(
            **{f"y{y}": Count("pk", filter=in_force_q(dates[y])) for y in years}
        )
        if years
        else {}
    )
    statuses = CertificationStatus.objects.all()
    if communes is not None:
        # Every commune: no join that would keep them all.
        statuses = statuses.filter(commune__in=communes)
    certified = dict(
        statuses.filter(year__in=years, status=Status.CERTIFIED)
        .values("year")
        # COUNT(*): the index on year and status answers it without reading the rows.
        .annotate(n=Count("*"))
        .values_list("year", "n")
    )
    targets: dict[int, Decimal] = {}
    for target in _year_targets(years, settings, district):
        # A district's own target, when it has one, wins over the province's.
        if target.district_id is None:
            targets.setdefault(target.year, target.percent)
        else:
            targets[target.year] = target.percent
    return [
        YearShare(
            year=y,
            total=totals[f"y{y}"],
            certified=certified.get(y, 0),
            target_percent=targets.get(y),
        )
        for y in years
    ]


def closest_to_certification(*, year: int, communes, limit: int | None = None):
    """Communes of ``communes`` not certified in ``year`` whose status gives exactly one
    reason: the one item they miss (``communes`` None: every commune). Returns (the
    statuses, how many in all): all of them, or the first ``limit`` (by district and
    name). One query."""
    statuses = CertificationStatus.objects.filter(year=year)
    if communes is not None:
        statuses = statuses.filter(commune__in=communes)
    ordered = (
        statuses.exclude(status=Status.CERTIFIED)
        .annotate(reason_count=JSONArrayLength("reasons"))
        .filter(reason_count=1)
        .select_related("commune__district")
        .order_by("commune__district__code", "commune__name")
    )
    if limit is None:
        rows = list(ordered)
        return rows, len(rows)
    # How many in all, counted over every row before the limit: the same scan.
    rows = list(ordered.annotate(total=Window(Count("pk")))[:limit])
    return rows, rows[0].total if rows else 0  # type: ignore[attr-defined]  # the window above


def commune_rows(*, year: int, communes):
    """``communes`` with their figures of ``year`` as annotations (year_status,
    year_reasons, year_responses, year_satisfied, year_required, year_approved,
    evidence_awaiting, has_committee, adoption_count): one query for the whole table."""
    end = _end_of(year)
    awaiting = (
        Evidence.objects.filter(commune=OuterRef("pk"), year=year, state=EvidenceState.SUBMITTED)
        .values("commune")
        .annotate(n=Count("pk"))
        .values("n")
    )
    adoptions = (
        PracticeAdoption.objects.filter(commune=OuterRef("pk"), adopted_on__lte=end)
        .values("commune")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        communes.select_related("district")
        .annotate(
            year_row=FilteredRelation("statuses", condition=Q(statuses__year=year)),
            year_status=F("year_row__status"),
            year_reasons=F("year_row__reasons"),
            year_responses=F("year_row__survey_responses"),
            year_satisfied=F("year_row__survey_satisfied"),
            year_required=F("year_row__evidence_required"),
            year_approved=F("year_row__evidence_approved"),
            evidence_awaiting=Coalesce(Subquery(awaiting, output_field=IntegerField()), 0),
            adoption_count=Coalesce(Subquery(adoptions, output_field=IntegerField()), 0),
            has_committee=Exists(
                SteeringCommittee.objects.filter(
                    commune=OuterRef("pk"), level=Level.COMMUNE, established_on__lte=end
                )
            ),
        )
        .order_by("name")
    )


def _share(part: str, whole: str, *, empty=None):
    """``part``/``whole`` as a float in SQL; ``empty`` where ``whole`` is 0 or NULL."""
    return Case(
        When(
            **{f"{whole}__gt": 0},
            then=Cast(Coalesce(F(part), 0), FloatField()) / Cast(F(whole), FloatField()),
        ),
        default=Value(empty, output_field=FloatField()),
        output_field=FloatField(),
    )


# How SQL orders ``commune_rows`` by each column of ``tables.commune_table`` (the key of
# ``?sort=``), as the table's Python sort does: names folded, a reason list by its length,
# a ratio by its share (-1 without anything required), a share of responses by its value.
# A column missing here (the recognition's wording) is not sortable in a paged list.
COMMUNE_SQL_ORDER: dict[str, Callable[[], Any]] = {
    "code": lambda: F("code"),
    "name": lambda: F("search_name"),
    "district": lambda: Coalesce(F("district__search_name"), Value("")),
    "kind": lambda: F("kind"),
    "status": lambda: F("year_status"),
    "missing": lambda: Coalesce(JSONArrayLength("year_reasons"), 0),
    "satisfaction": lambda: _share("year_satisfied", "year_responses"),
    "responses": lambda: F("year_responses"),
    "evidence": lambda: _share("year_approved", "year_required", empty=-1.0),
    "awaiting": lambda: F("evidence_awaiting"),
    "committee": lambda: F("has_committee"),
    "launched": lambda: F("model_launched_on"),
    "practices": lambda: F("adoption_count"),
}


def commune_rows_sorted(rows, *, sort: str):
    """``rows`` (``commune_rows``) ordered in SQL by the table column ``sort`` ("key",
    "-key": descending; a key not in ``COMMUNE_SQL_ORDER`` orders by name), rows without
    a value last in either direction, then by name and code: a page of a national list is
    cut by the database, not after reading every commune."""
    key = sort.lstrip("-")
    if key not in COMMUNE_SQL_ORDER:
        key, sort = "name", "name"
    expression = COMMUNE_SQL_ORDER[key]()
    first = (
        expression.desc(nulls_last=True)
        if sort.startswith("-")
        else expression.asc(nulls_last=True)
    )
    return rows.order_by(first, "name", "code", "pk")


def criterion_titles() -> dict[str, str]:
    """{criterion code: title} of every criterion, to name criteria in reasons (one query)."""
    from communes.models import Criterion

    return dict(Criterion.objects.values_list("code", "title"))


def latest_recompute():
    """The most recent recompute run (None if none ever ran)."""
    return RecomputeRun.objects.order_by("-queued_at", "-pk").first()


# --- The commune page -----------------------------------------------------------------


def commune_history(*, commune):
    """Every change of the commune's status, all years, newest first."""
    return StatusChange.objects.filter(commune=commune).order_by("-at", "-pk")


def predecessor_figures(*, commune, depth: int = 3):
    """The statuses of the units ``commune`` came from (and theirs, up to ``depth``
    reorganizations back), by year: each counted for the unit that held it that year,
    shown here as history. A query per level of the lineage, not per unit."""
    from communes.models import CommuneLink

    rows, ids, seen = [], [commune.pk], {commune.pk}
    for _level in range(depth):
        ids = [
            pk
            for pk in CommuneLink.objects.filter(successor_id__in=ids, predecessor__isnull=False)
            .exclude(predecessor_id__in=seen)
            .values_list("predecessor_id", flat=True)
        ]
        if not ids:
            break
        seen.update(ids)
        rows += list(
            CertificationStatus.objects.filter(commune_id__in=ids)
            .select_related("commune__district")
            .order_by("-year", "commune__name")
        )
    return sorted(rows, key=lambda s: (-s.year, s.commune.name))


def commune_recognition(*, commune, status):
    """The commune's recognition in force for ``status``'s year (None if not recognized)
    and how pages name its standing (targets.decisions.recognition_text)."""
    from targets.decisions import recognition_text, standing

    if status is None:
        return None, ""
    recognized, withdrawn = standing(year=status.year, communes=[commune])
    recognition = recognized.get(commune.pk)
    return recognition, recognition_text(status.status, recognition, withdrawn.get(commune.pk))


def commune_committee(*, commune):
    """The commune's latest steering committee, with its number of members (or None)."""
    return (
        SteeringCommittee.objects.filter(commune=commune, level=Level.COMMUNE)
        .annotate(member_count=Count("members"))
        .order_by("-established_on", "-pk")
        .first()
    )


def commune_evidence_states(*, commune, year: int) -> dict:
    """How many of the commune's evidence items of ``year`` are in each state."""
    return dict(
        Evidence.objects.filter(commune=commune, year=year)
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )


def commune_investments(*, commune):
    return FacilityInvestment.objects.filter(commune=commune).order_by("year", "pk")


def commune_adoptions(*, commune):
    return (
        PracticeAdoption.objects.filter(commune=commune)
        .select_related("practice")
        .order_by("adopted_on", "pk")
    )


@dataclass
class PublicFigures:
    """What the public progress page shows: aggregates and commune names, nothing personal."""

    year: int
    overall: UnitFigures
    districts: "Sequence[DistrictFigures | ProvinceFigures]"
    shares: list[YearShare]
    # [(district, [commune, ...]), ...] in code order: the communes certified in ``year``
    certified: list


def public_figures(*, year: int, province_id: int | None = None) -> PublicFigures:
    """The figures of ``year`` for the public page (a dozen queries): of every unit, or
    of the province ``province_id`` only."""
    communes, districts = Commune.objects.all(), District.objects.all()
    if province_id is not None:
        communes = communes.filter(province_id=province_id)
        districts = districts.filter(province_id=province_id)
    dashboard = dashboard_figures(year=year, districts=districts, communes=communes)
    statuses: Iterable[CertificationStatus] = (
        CertificationStatus.objects.filter(year=year, status=Status.CERTIFIED, commune__in=communes)
        .select_related("commune__district")
        .order_by("commune__district__code", "commune__name")
    )
    from targets.decisions import recognitions

    recognized = recognitions(year=year)
    statuses = list(statuses)
    # Where there are no districts (from 1/7/2025), communes are grouped by their former
    # district, as the dashboard groups them.
    formers = former_units(
        communes=[s.commune_id for s in statuses if s.commune.district_id is None]
    )
    groups: dict = {}
    for status in statuses:
        commune = status.commune
        commune.recognition = recognized.get(status.commune_id)
        group = commune.district or formers.get(commune.pk) or FormerUnit("", "")
        groups.setdefault((group.code, group.name), (group, []))[1].append(commune)
    certified = [groups[key] for key in sorted(groups)]
    return PublicFigures(
        year=year,
        overall=dashboard.overall,
        districts=dashboard.districts,
        shares=share_by_year(communes=communes),
        certified=certified,
    )

"""Deterministic national-scale data (``manage.py generate_scale_data``), PostgreSQL only.

The real province of Bắc Giang (its 10 districts and 209 communes, as ``load_units``
loads them) stays as it is; the other provinces, districts and communes are invented,
with codes in ranges no GSO code uses (GSO codes have at most 2, 3 and 5 digits):

- provinces 901-999, districts 9001-9999, communes 900001-999999.

Every commune gets the story of ``communes.demo.readiness_year`` (the first year it
qualifies): committees and launch dates, evidence for 2023-2025 in every state, survey
responses spread over 2023-2025 (at least the minimum in the years it qualifies, with a
satisfied share that passes or fails accordingly), good-practice adoptions and facility
investment; then the yearly targets and rules, and every status computed by the engine.

The small tables are written from Python with COPY; the survey responses (up to tens of
millions) by one ``INSERT ... SELECT`` over ``generate_series``, their dates, channels,
answers and satisfaction drawn from a hash of the row number, so the same sizes always
give the same rows.
"""

import contextlib
import datetime
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from communes.demo import readiness_year
from communes.demo_practices import PRACTICES
from communes.models import (
    CommitteeMember,
    Commune,
    Criterion,
    CriterionKind,
    District,
    Evidence,
    EvidenceFile,
    EvidenceTransition,
    FacilityInvestment,
    GoodPractice,
    PracticeAdoption,
    Province,
    SteeringCommittee,
    UserScope,
    lineage_changed,
)
from communes.services import units_load
from communes.text import fold
from surveys.models import (
    ImportBatch,
    KioskLink,
    Question,
    Questionnaire,
    SurveyResponse,
    SurveyYear,
)
from surveys.rollup import months_rebuild
from targets import demo as targets_demo
from targets import services
from targets.models import (
    CertificationRule,
    CertificationStatus,
    ComputedProvince,
    PendingRecompute,
    RecomputeRun,
    StatusChange,
    YearTarget,
)

YEARS = (2023, 2024, 2025)
NATIONAL = {"provinces": 63, "districts": 705, "communes": 10_598}
DEFAULT_RESPONSES = 1_000_000
MAX_RESPONSES = 50_000_000

# Codes of the invented units: one digit longer than any GSO code of the same level.
PROVINCE_CODES = (901, 999)
DISTRICT_CODES = (9001, 9999)
COMMUNE_CODES = (900_001, 999_999)
GENERATED_CODE = {
    Province: r"^9[0-9]{2}$",
    District: r"^9[0-9]{3}$",
    Commune: r"^9[0-9]{5}$",
}
# The hash seed of the survey rows; changing it changes every generated response.
SEED = 20230601


class ScaleError(Exception):
    """The sizes asked for cannot be generated, or the database is not fit for it."""


@dataclass(frozen=True)
class Sizes:
    provinces: int
    districts: int
    communes: int
    responses: int

    def __str__(self):
        return (
            f"{self.provinces:,} provinces, {self.districts:,} districts, "
            f"{self.communes:,} communes, {self.responses:,} survey responses"
        )


@dataclass(frozen=True)
class RealUnits:
    provinces: int
    districts: int
    communes: int


def sizes_for(
    *,
    real: RealUnits,
    provinces: int = NATIONAL["provinces"],
    districts: int | None = None,
    communes: int | None = None,
    communes_per_district: int | None = None,
    responses: int = DEFAULT_RESPONSES,
) -> Sizes:
    """The sizes to generate. Districts and communes default to the national ones (705
    and 10,598 for 63 provinces), scaled to fewer provinces at the national averages."""
    if provinces < real.provinces:
        raise ScaleError(f"--provinces must be at least {real.provinces} (the real ones).")
    new_provinces = provinces - real.provinces
    if districts is None:
        if provinces == NATIONAL["provinces"]:
            districts = NATIONAL["districts"]
        else:
            per_province = (NATIONAL["districts"] - real.districts) / (
                NATIONAL["provinces"] - real.provinces
            )
            districts = real.districts + round(new_provinces * per_province)
    new_districts = districts - real.districts
    if new_districts < new_provinces or (new_provinces == 0 and new_districts):
        raise ScaleError(
            f"{districts} districts cannot fill {provinces} provinces: each invented "
            f"province needs at least one district beside the real {real.districts}."
        )
    if communes_per_district is not None:
        if communes is not None:
            raise ScaleError("Give --communes or --communes-per-district, not both.")
        communes = real.communes + communes_per_district * new_districts
    elif communes is None:
        if (provinces, districts) == (NATIONAL["provinces"], NATIONAL["districts"]):
            communes = NATIONAL["communes"]
        else:
            per_district = (NATIONAL["communes"] - real.communes) / (
                NATIONAL["districts"] - real.districts
            )
            communes = real.communes + round(new_districts * per_district)
    new_communes = communes - real.communes
    if new_communes < new_districts:
        raise ScaleError(
            f"{communes} communes cannot fill {districts} districts: each invented "
            f"district needs at least one commune beside the real {real.communes}."
        )
    limits = (
        (new_provinces, PROVINCE_CODES, "provinces"),
        (new_districts, DISTRICT_CODES, "districts"),
        (new_communes, COMMUNE_CODES, "communes"),
    )
    for count, (low, high), what in limits:
        if count > high - low + 1:
            raise ScaleError(f"At most {high - low + 1:,} invented {what}.")
    if not 0 <= responses <= MAX_RESPONSES:
        raise ScaleError(f"--responses must be between 0 and {MAX_RESPONSES:,}.")
    return Sizes(provinces, districts, communes, responses)


def real_units() -> RealUnits:
    """The real units of the programme's basis (loaded first if they are not there yet):
    the national-scale data is a country of the 2023 shape, so the later periods of
    ``load_units`` are left out (a database that has them keeps them)."""
    if not Commune.objects.filter(valid_from__isnull=False).exists():
        units_load(reorganizations=False)
    return RealUnits(
        provinces=_basis(Province).exclude(code__regex=GENERATED_CODE[Province]).count(),
        districts=_basis(District).exclude(code__regex=GENERATED_CODE[District]).count(),
        communes=_basis(Commune).exclude(code__regex=GENERATED_CODE[Commune]).count(),
    )


def _basis(model):
    """The units of the programme's basis (no start date): Bắc Giang's of 2023 and the
    invented ones. The later periods that `make migrate` loads are not counted."""
    return model.objects.filter(valid_from__isnull=True)


# --- Names -----------------------------------------------------------------------------

_FIRST = [
    "An", "Bình", "Phú", "Tân", "Hòa", "Thanh", "Đông", "Tây", "Long", "Vĩnh",
    "Quảng", "Hưng", "Thái", "Hải", "Kim", "Ngọc", "Yên", "Phước", "Đức", "Minh",
    "Trung", "Hồng", "Lạc", "Thuận", "Cẩm", "Mỹ", "Gia", "Lương", "Cao", "Quế",
]  # fmt: skip
_SECOND = [
    "Lợi", "Sơn", "Hà", "Thành", "Lâm", "Giang", "Xuân", "Phong", "Điền", "Khánh",
    "Định", "Tiến", "Lộc", "Phúc", "Thịnh", "Vinh", "Thủy", "Mai", "Trạch", "Tường",
    "Quang", "Hiệp", "Cường", "Linh", "Nguyên", "Bảo", "Dương", "Hợp", "Tâm", "Trì",
]  # fmt: skip
_PEOPLE = [
    "Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Dũng", "Phạm Thị Hương", "Hoàng Văn Nam",
    "Vũ Thị Hạnh", "Đỗ Văn Long", "Ngô Thị Thảo", "Dương Văn Thắng", "Bùi Thị Mai",
    "Đặng Văn Tuấn", "Lương Thị Trang", "Hà Văn Bình", "Chu Thị Yến", "Tạ Văn Khánh",
    "Lý Thị Nga", "Đào Văn Sơn", "Nông Thị Hoa", "Giáp Văn Cường", "Thân Thị Dung",
]  # fmt: skip


def _names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct two-syllable place names."""
    pairs = [f"{a} {b}" for a in _FIRST for b in _SECOND if a != b]
    if count <= len(pairs):
        return rng.sample(pairs, count)
    return [f"{rng.choice(pairs)} {n}" for n in range(1, count + 1)]


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder),
    each at least ``minimum``."""
    if not weights:
        return []
    spare = total - minimum * len(weights)
    whole = sum(weights)
    shares = [spare * w / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    left = spare - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[:left]:
        counts[i] += 1
    return [minimum + c for c in counts]


# --- Plans: one story per commune --------------------------------------------------------


@dataclass
class Plan:
    """One commune's story: the year it qualifies and when it set up and launched."""

    commune_id: int
    code: str
    kind: str
    province_id: int
    district_id: int | None  # None for the communes of today (from 1/7/2025)
    ready: int | None
    committee_on: datetime.date | None = None
    launched_on: datetime.date | None = None

    def ready_in(self, year: int) -> bool:
        return self.ready is not None and year >= self.ready

    def started_by(self, year: int) -> bool:
        end = datetime.date(year, 12, 31)
        return bool(self.committee_on and self.launched_on and self.launched_on <= end)


def _day(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _plans() -> list[Plan]:
    plans = []
    # The country of the 2023 shape: the basis units (no start date) and the invented
    # ones. Later periods that `make migrate` loaded keep no facts of their own here.
    basis = _basis(Commune).filter(district__isnull=False)
    for commune in basis.select_related("district").order_by("code"):
        ready = readiness_year(commune)
        rng = random.Random(f"scale|plan|{commune.code}")  # noqa: S311 (invented data)
        plan = Plan(
            commune_id=commune.pk,
            code=commune.code,
            kind=commune.kind,
            province_id=commune.province_id,
            district_id=commune.district_id,
            ready=ready,
        )
        if ready is not None:
            plan.committee_on = _day(
                rng, datetime.date(ready - 1, 3, 1), datetime.date(ready, 2, 28)
            )
        elif rng.random() < 0.5:
            plan.committee_on = _day(rng, datetime.date(2024, 1, 1), datetime.date(2025, 6, 30))
        if plan.committee_on is not None:
            plan.launched_on = plan.committee_on + datetime.timedelta(days=rng.randint(15, 90))
            if ready is not None:
                plan.launched_on = min(plan.launched_on, datetime.date(ready, 6, 30))
        plans.append(plan)
    return plans


# --- Writing -------------------------------------------------------------------------------


def _copy(table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY ``rows`` into ``table``; returns how many."""
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _aware(day: datetime.date, minutes: int) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(7, 30)) + datetime.timedelta(
        minutes=minutes
    )
    return timezone.make_aware(moment)


def _units(sizes: Sizes, real: RealUnits) -> None:
    """The invented provinces, districts and communes (the real ones stay as they are)."""
    rng = random.Random("scale|units")  # noqa: S311 (invented data)
    new_provinces = sizes.provinces - real.provinces
    new_districts = sizes.districts - real.districts
    new_communes = sizes.communes - real.communes

    province_names = _names(rng, new_provinces)
    provinces = []
    for index, name in enumerate(province_names):
        kind = "thành phố" if index < 5 else "tỉnh"
        full = f"{kind.capitalize()} {name}"
        provinces.append(
            Province(
                code=str(PROVINCE_CODES[0] + index), name=full, kind=kind, search_name=fold(full)
            )
        )
    Province.objects.bulk_create(provinces)
    provinces = list(Province.objects.filter(code__regex=GENERATED_CODE[Province]).order_by("code"))

    per_province = _apportion(
        new_districts, [rng.uniform(0.6, 1.4) for _ in provinces], minimum=1 if provinces else 0
    )
    districts, code = [], DISTRICT_CODES[0]
    for province, count in zip(provinces, per_province, strict=True):
        for name in _names(rng, count):
            draw = rng.random()
            kind = "thành phố" if draw < 0.08 else "thị xã" if draw < 0.18 else "huyện"
            full = f"{kind.capitalize()} {name}"
            districts.append(
                District(
                    code=str(code), name=full, kind=kind, province=province, search_name=fold(full)
                )
            )
            code += 1
    District.objects.bulk_create(districts)
    districts = list(District.objects.filter(code__regex=GENERATED_CODE[District]).order_by("code"))

    per_district = _apportion(
        new_communes, [rng.uniform(0.5, 1.5) for _ in districts], minimum=1 if districts else 0
    )
    communes, code = [], COMMUNE_CODES[0]
    for district, count in zip(districts, per_district, strict=True):
        urban = district.kind != "huyện"
        for name in _names(rng, count):
            draw = rng.random()
            if urban:
                kind = "phường" if draw < 0.7 else "xã"
            else:
                kind = "thị trấn" if draw < 0.07 else "xã"
            full = f"{kind.capitalize()} {name}"
            communes.append(
                Commune(
                    code=str(code),
                    name=full,
                    kind=kind,
                    district=district,
                    province_id=district.province_id,
                    search_name=fold(full),
                )
            )
            code += 1
    Commune.objects.bulk_create(communes, batch_size=5000)
    lineage_changed()  # written in bulk: no signal tells the cache


def _committees(plans: list[Plan]) -> int:
    """Province and district committees, and one per commune that set one up, with
    three members each; the communes' launch dates."""
    rows = []
    for province in Province.objects.order_by("code"):
        decision = f"{province.code}/QĐ-UBND"
        rows.append(("province", province.pk, None, None, decision, datetime.date(2022, 3, 15)))
    for district in District.objects.order_by("code"):
        decision = f"{district.code}/QĐ-UBND"
        rows.append(("district", None, district.pk, None, decision, datetime.date(2022, 6, 1)))
    for plan in plans:
        if plan.committee_on is not None:
            decision = f"{plan.code}/QĐ-UBND"
            rows.append(("commune", None, None, plan.commune_id, decision, plan.committee_on))
    columns = ["level", "province_id", "district_id", "commune_id", "decision_number"]
    count = _copy(
        _table(SteeringCommittee),
        [*columns, "established_on", "note"],
        (row + ("",) for row in rows),
    )
    people = "ARRAY[" + ", ".join(["%s"] * len(_PEOPLE)) + "]::text[]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_table(CommitteeMember)}
                (committee_id, full_name, position, organisation, role, "order")
            SELECT sc.id,
                   ({people})[1 + abs(hashint8extended(sc.id * 4 + k, {SEED})) %% {len(_PEOPLE)}],
                   (ARRAY['Chủ tịch UBND', 'Phó Chủ tịch UBND', 'Công chức Văn phòng'])[k],
                   'Ủy ban nhân dân',
                   (ARRAY['chair', 'deputy', 'member'])[k],
                   k
            FROM {_table(SteeringCommittee)} sc CROSS JOIN generate_series(1, 3) AS k
            """,  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
            _PEOPLE,
        )
        cursor.execute("DROP TABLE IF EXISTS scale_launch")
        cursor.execute(
            "CREATE TEMP TABLE scale_launch (commune_id bigint, launched_on date) ON COMMIT DROP"
        )
    _copy(
        "scale_launch",
        ["commune_id", "launched_on"],
        ((p.commune_id, p.launched_on) for p in plans),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # Table names are the models' own; values go as parameters.
            f"UPDATE {_table(Commune)} c SET model_launched_on = l.launched_on "  # noqa: S608  # nosec B608
            "FROM scale_launch l WHERE l.commune_id = c.id"
        )
    return count


def _criteria_by_year() -> dict[int, list[Criterion]]:
    return {
        year: [c for c in Criterion.objects.active_in(year) if c.kind != CriterionKind.SURVEY]
        for year in YEARS
    }


_STATES_STARTED = {
    # state: (share for required criteria, share for scored ones); None: no evidence yet
    "approved": (0.50, 0.45),
    "submitted": (0.18, 0.15),
    "rejected": (0.08, 0.10),
    "draft": (0.12, 0.10),
    None: (0.12, 0.20),
}


def _draw_state(rng, required: bool) -> str | None:
    column = 0 if required else 1
    draw, total = rng.random(), 0.0
    for state, shares in _STATES_STARTED.items():
        total += shares[column]
        if draw < total:
            return state
    return None


def _evidence_rows(plans: list[Plan], by_year: dict, now: datetime.datetime):
    """(commune, criterion, year, state, note, value, submitted_at, reviewed_at,
    review_comment, version, updated_at) for every piece of evidence. A generator read
    while COPY runs: it must not query the database."""
    for plan in plans:
        rng = random.Random(f"scale|evidence|{plan.code}")  # noqa: S311 (invented data)
        for year in YEARS:
            criteria = by_year[year]
            ready = plan.ready_in(year)
            started = plan.started_by(year)
            scored = [c for c in criteria if not c.is_required]
            # A ready commune has every scored criterion but at most one 5-point item.
            skipped = rng.choice(scored).pk if ready and scored and rng.random() < 0.3 else None
            for criterion in criteria:
                if ready:
                    state = "approved" if criterion.pk != skipped else "submitted"
                elif not started:
                    draw = rng.random()
                    state = None if draw < 0.7 else "draft" if draw < 0.9 else "submitted"
                else:
                    state = _draw_state(rng, criterion.is_required)
                if state is None:
                    continue
                value = None
                if criterion.kind == CriterionKind.MEASURED and criterion.threshold is not None:
                    threshold = float(criterion.threshold)
                    if ready or rng.random() < 0.75:
                        value = min(100.0, threshold + rng.uniform(0.5, 5))
                    else:
                        value = max(0.0, threshold - rng.uniform(0.5, 15))
                    value = Decimal(f"{value:.2f}")
                submitted = reviewed = None
                day = _day(rng, datetime.date(year, 1, 10), datetime.date(year, 11, 30))
                if state != "draft":
                    submitted = min(_aware(day, rng.randint(0, 540)), now)
                if state in ("approved", "rejected"):
                    reviewed = min(submitted + datetime.timedelta(days=rng.randint(1, 12)), now)
                comment = "Minh chứng chưa rõ, đề nghị bổ sung." if state == "rejected" else ""
                updated = reviewed or submitted or min(_aware(day, 0), now)
                yield (
                    plan.commune_id, criterion.pk, year, state, "", value,
                    submitted, reviewed, comment, 1, updated,
                )  # fmt: skip


def _evidence(plans: list[Plan]) -> int:
    return _copy(
        _table(Evidence),
        [
            "commune_id", "criterion_id", "year", "state", "note", "value",
            "submitted_at", "reviewed_at", "review_comment", "version", "updated_at",
        ],
        _evidence_rows(plans, _criteria_by_year(), timezone.now()),
    )  # fmt: skip


_ADOPTION_SHARE = {2023: 0.5, 2024: 0.35, 2025: 0.2, None: 0.05}


def _practices_and_money(plans: list[Plan]) -> tuple[int, int]:
    """The shipped good practices, adopted by communes in step with their story, and
    facility investment per district and per commune."""
    practices = []
    for item in PRACTICES:
        practice, _created = GoodPractice.objects.get_or_create(
            code=item["code"], defaults={"name": item["name"], "description": item["description"]}
        )
        practices.append(practice)
    adoptions, money = [], []
    for plan in plans:
        rng = random.Random(f"scale|practice|{plan.code}")  # noqa: S311 (invented data)
        for index, practice in enumerate(practices):
            # A commune of today (from 1/7/2025) may first qualify after the years generated.
            share = _ADOPTION_SHARE.get(plan.ready, _ADOPTION_SHARE[None])
            if rng.random() < share / (1 + index * 0.3):
                year = plan.ready or 2025
                adopted = _day(rng, datetime.date(year, 1, 1), datetime.date(year, 10, 31))
                adoptions.append((practice.pk, plan.commune_id, adopted, ""))
        for year in YEARS:
            # A commune without a district (from 1/7/2025) has no district budget line.
            if plan.district_id is not None and rng.random() < 0.4:
                planned = rng.randrange(5, 60) * 10_000_000
                spent = planned * rng.randrange(40, 101) // 100
                money.append((plan.district_id, plan.commune_id, year, planned, spent, ""))
    for district_id in District.objects.order_by("code").values_list("pk", flat=True):
        rng = random.Random(f"scale|money|{district_id}")  # noqa: S311 (invented data)
        for year in YEARS:
            planned = rng.randrange(8, 70) * 100_000_000
            spent = planned * rng.randrange(50, 101) // 100
            money.append((district_id, None, year, planned, spent, "Kinh phí cấp huyện"))
    adopted = _copy(
        _table(PracticeAdoption), ["practice_id", "commune_id", "adopted_on", "note"], adoptions
    )
    invested = _copy(
        _table(FacilityInvestment),
        ["district_id", "commune_id", "year", "planned_vnd", "spent_vnd", "note"],
        money,
    )
    return adopted, invested


# --- Survey responses ----------------------------------------------------------------------


@dataclass
class Cell:
    """The responses of one commune in one year: how many, how many satisfied."""

    commune_id: int
    year: int
    responses: int = 0
    satisfied: int = 0
    first_row: int = 0
    days: int = 365


_KIND_WEIGHT = {"phường": 1.4, "thị trấn": 1.2}
_YEAR_WEIGHT = {2023: 0.8, 2024: 1.0, 2025: 1.2}


def _cells(plans: list[Plan], total: int, minimum: int, today: datetime.date) -> list[Cell]:
    """Spread ``total`` responses over communes and years.

    Each year a commune qualifies gets at least ``minimum`` responses when the total
    allows it, and a satisfied share that passes; other years get what their weight
    gives them, some passing and some not.
    """
    cells, weights, shares, ready = [], [], [], []
    for plan in plans:
        rng = random.Random(f"scale|surveys|{plan.code}")  # noqa: S311 (invented data)
        size = _KIND_WEIGHT.get(plan.kind, 1.0) * rng.uniform(0.6, 1.4)
        for year in YEARS:
            last = min(datetime.date(year, 12, 31), today)
            days = max((last - datetime.date(year, 1, 1)).days + 1, 1)
            cells.append(Cell(plan.commune_id, year, days=days))
            weights.append(size * _YEAR_WEIGHT[year])
            ready.append(plan.ready_in(year))
            if plan.ready_in(year):
                shares.append(rng.uniform(0.87, 0.98))
            elif plan.started_by(year) and rng.random() < 0.55:
                shares.append(rng.uniform(0.86, 0.95))
            else:
                shares.append(rng.uniform(0.62, 0.84))
    # The minimum for every year a commune qualifies, when the total leaves room for it.
    floor = minimum if total >= 1.2 * minimum * sum(ready) else 0
    counts = _apportion(total - floor * sum(ready), weights)
    first = 0
    for cell, count, share, qualifies in zip(cells, counts, shares, ready, strict=True):
        cell.responses = count + (floor if qualifies else 0)
        if share >= 0.85:
            # Rounded up, and never under 85%: a year that should pass does.
            satisfied = max(math.ceil(cell.responses * share), math.ceil(cell.responses * 0.85))
        else:
            satisfied = int(cell.responses * share)
        cell.satisfied = min(satisfied, cell.responses)
        cell.first_row = first
        first += cell.responses
    return cells


def _answers_sql(questions: list[tuple[str, str]]) -> tuple[str, list]:
    """A jsonb_build_object(...) of 1-5 scores consistent with ``satisfied`` (the
    overall question is 4-5 when satisfied, 1-3 otherwise)."""
    if not questions:
        return "'{}'::jsonb", []
    parts, params = [], []
    for index, (code, element) in enumerate(questions):
        bits = f"((h.h >> {3 + 3 * index}) %% 8)"
        if element == "overall":
            score = f"CASE WHEN j <= c.satisfied THEN 4 + {bits} %% 2 ELSE 1 + {bits} %% 3 END"
        else:
            score = f"CASE WHEN j <= c.satisfied THEN 3 + {bits} %% 3 ELSE 1 + {bits} %% 4 END"
        parts.append(f"%s, {score}")
        params.append(code)
    return f"jsonb_build_object({', '.join(parts)})", params


def _responses(cells: list[Cell]) -> int:
    questionnaire = Questionnaire.objects.filter(is_active=True).order_by("-version").first()
    questions = (
        list(
            Question.objects.filter(questionnaire=questionnaire)
            .order_by("order", "code")
            .values_list("code", "element")
        )
        if questionnaire
        else []
    )
    answers, params = _answers_sql(questions)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS scale_cells")
        cursor.execute(
            "CREATE TEMP TABLE scale_cells (commune_id bigint, year int, responses int, "
            "satisfied int, first_row bigint, days int) ON COMMIT DROP"
        )
    _copy(
        "scale_cells",
        ["commune_id", "year", "responses", "satisfied", "first_row", "days"],
        (
            (c.commune_id, c.year, c.responses, c.satisfied, c.first_row, c.days)
            for c in cells
            if c.responses
        ),
    )
    with connection.cursor() as cursor, _without_indexes_and_foreign_keys(SurveyResponse):
        cursor.execute(
            f"""
            INSERT INTO {_table(SurveyResponse)}
                (commune_id, questionnaire_id, answered_on, channel, satisfied, answers, created_at,
                 comment)
            SELECT c.commune_id, %s, d.day,
                   CASE WHEN h.h %% 20 < 13 THEN 'kiosk' ELSE 'paper' END,
                   j <= c.satisfied,
                   {answers},
                   (d.day + time '07:30' + (h.h %% 540) * interval '1 minute')
                       AT TIME ZONE %s,
                   ''
            FROM scale_cells c
            CROSS JOIN LATERAL generate_series(1, c.responses) AS j
            CROSS JOIN LATERAL (
                SELECT abs(hashint8extended(c.first_row + j, {SEED})) AS h
            ) h
            CROSS JOIN LATERAL (
                SELECT make_date(c.year, 1, 1) + ((h.h >> 20) %% c.days)::int AS day
            ) d
            ORDER BY c.commune_id, c.year, j
            """,  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
            [questionnaire.pk if questionnaire else None, *params, "Asia/Ho_Chi_Minh"],
        )
        written = cursor.rowcount
    if questionnaire is not None and written:
        questionnaire.answered_now()  # what the writers of responses keep
    return written


@contextlib.contextmanager
def _without_indexes_and_foreign_keys(model):
    """Drop the secondary indexes and foreign keys of ``model``'s table for a bulk insert
    and create them again afterwards, exactly as they were (their definitions are read
    from the catalogue), in the caller's transaction: building an index once and checking
    a foreign key in one join is far faster than millions of single-row updates and
    checks. As DDL is transactional in PostgreSQL, a failure leaves the table whole."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        # Checks deferred until the commit would stop the ALTER TABLEs: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        quoted = connection.ops.quote_name(table)
        for name, _definition in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                + definition
            )


def _rules_and_targets() -> None:
    for year in YEARS:
        YearTarget.objects.update_or_create(
            year=year, district=None, defaults={"percent": targets_demo.TARGETS[year]}
        )
        CertificationRule.objects.update_or_create(
            year=year,
            defaults={
                "satisfaction_threshold": Decimal("85"),
                "min_responses": 30,
                "pass_score": targets_demo.pass_score_for(year),
            },
        )


# --- Reset and checks ----------------------------------------------------------------------


def _with_history(models) -> list:
    tables = []
    for model in models:
        tables.append(model)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model)
    return tables


FACT_MODELS = [
    SurveyResponse,
    ImportBatch,
    KioskLink,
    EvidenceTransition,
    EvidenceFile,
    Evidence,
    CommitteeMember,
    SteeringCommittee,
    PracticeAdoption,
    FacilityInvestment,
    CertificationStatus,
    ComputedProvince,
    StatusChange,
    RecomputeRun,
    PendingRecompute,
    SurveyYear,
]


def holds_data() -> list[str]:
    """What the database already holds that generating would mix with."""
    found = []
    for model in (SurveyResponse, Evidence, SteeringCommittee, CertificationStatus):
        if model.objects.exists():
            found.append(f"{model.__name__} rows")
    for model, pattern in GENERATED_CODE.items():
        if model.objects.filter(code__regex=pattern).exists():
            found.append(f"invented {model.__name__} units")
    return found


def current_sizes() -> Sizes:
    return Sizes(
        provinces=_basis(Province).count(),
        districts=_basis(District).count(),
        communes=_basis(Commune).count(),
        responses=SurveyResponse.objects.count(),
    )


def reset() -> None:
    """Empty every table of commune records and delete the invented units.

    The real units, the criteria, the questionnaires, users and practices stay.
    """
    tables = ", ".join(_table(model) for model in _with_history(FACT_MODELS))
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks deferred until the commit would stop TRUNCATE: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        UserScope.objects.filter(commune__code__regex=GENERATED_CODE[Commune]).delete()
        UserScope.objects.filter(district__code__regex=GENERATED_CODE[District]).delete()
        UserScope.objects.filter(province__code__regex=GENERATED_CODE[Province]).delete()
        for model in (Commune, District, Province):
            cursor.execute(
                f"DELETE FROM {_table(model)} WHERE code ~ %s",  # noqa: S608  # nosec B608
                [GENERATED_CODE[model]],
            )
        Commune.objects.update(model_launched_on=None)
    lineage_changed()


# --- The whole generation ------------------------------------------------------------------


@dataclass
class Report:
    sizes: Sizes
    steps: list[tuple[str, float, str]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(seconds for _name, seconds, _what in self.steps)


def generate(sizes: Sizes, real: RealUnits, *, out: Callable[[str], object] = print) -> Report:
    """Generate ``sizes`` in an empty database (see ``holds_data``), then compute every
    status and refresh the planner's statistics. Returns the time of each step."""
    report = Report(sizes)

    def step(name: str, action: Callable[[], object]):
        started = time.perf_counter()
        what = action()
        seconds = time.perf_counter() - started
        report.steps.append((name, seconds, "" if what is None else str(what)))
        out(f"  {name:<28} {seconds:8.1f} s  {'' if what is None else what}")
        return what

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        step("units", lambda: _units(sizes, real))
        plans = _plans()
        step("committees", lambda: f"{_committees(plans):,} committees")
        step("evidence", lambda: f"{_evidence(plans):,} rows")
        step(
            "practices and investment",
            lambda: "{:,} adoptions, {:,} investment rows".format(*_practices_and_money(plans)),
        )
        step("targets and rules", _rules_and_targets)
        cells = _cells(plans, sizes.responses, minimum=30, today=timezone.localdate())
        step("survey responses", lambda: f"{_responses(cells):,} rows")
        # The roll-up per commune and month that statuses and figures read.
        step("survey roll-up", _survey_years)
    step("vacuum and analyze", lambda: analyze(SurveyResponse, SurveyYear, Evidence, Commune))
    step(
        "recompute statuses",
        lambda: ", ".join(
            f"{year}: {counts.get('CERTIFIED', 0):,} certified"
            for year, counts in services.statuses_recompute().items()
        ),
    )
    analyze(CertificationStatus, StatusChange)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the small tables too: committees, adoptions, investment
    return report


def _survey_years() -> str:
    months_rebuild()
    return f"{SurveyYear.objects.count():,} rows"


def analyze(*models) -> None:
    """VACUUM ANALYZE the tables of ``models``: fresh statistics for the planner, and a
    visibility map that lets index-only scans skip the table. Inside a transaction (a
    test) VACUUM cannot run, and only ANALYZE does."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {_table(model)}")

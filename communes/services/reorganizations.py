"""Recording a reorganization of communes: what it moves (the preview), then doing it.

An administrator describes the units in force from the effective date, each with the
units of the day before it comes from, and one kind of change:

- MERGE: several units become one (each predecessor "nhập toàn bộ", merged whole);
- SPLIT: one unit is shared between several (each successor takes "một phần", a part;
  one of them is chosen to take the predecessor's one-stop desk);
- RENAME, KIND (xã -> phường), PARENT (another district, or none): one unit goes on.

A province's own change (Tỉnh Bắc Ninh became a centrally-run city, 39/2026/QH16) is
recorded alongside, or alone: it keeps its code and its row, so its communes, users and
data of every year stay as they are, and ``ProvinceRename`` keeps its former name and kind.

How rows follow (the rule of ``communes/models.py``, which the loader follows too): a
unit that keeps its code and its parent keeps its row, so its history, users, kiosk
posters and the current year's figures stay as they are; the change is recorded as a
link from the row to itself with its former name and kind. Any other new unit is a new
row from the effective date, even with a code an old unit had: the old row ends the day
before (``valid_to``) and keeps every figure of its own, and a lineage link says where
it went, with the resolution and the date, marked verified.

What moves with a dissolved unit, to the successor that takes its desk:
- commune staff accounts (``UserScope.commune``), so they keep working on the unit
  they now serve; a provincial reviewer limited to the predecessor is given the
  successor too, and keeps the predecessor;
- nothing else: kiosk links stay the predecessor's and are resolved to the successor
  when answered (``communes.selectors.successor_in_force``), and evidence, survey
  responses, committees, investment and statuses stay with the unit they were recorded
  for (a year is evaluated on the units in force on its reference date). District
  officials keep their (now historical) district: read-only history.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communes import hooks
from communes.models import (
    Certainty,
    Commune,
    CommuneLink,
    District,
    Evidence,
    EvidenceState,
    FacilityInvestment,
    LinkKind,
    Province,
    ProvinceRename,
    Reorganization,
    Role,
    SteeringCommittee,
    UserScope,
    reference_date,
)

DAY = datetime.timedelta(days=1)


class Change:
    MERGE = "merge"
    SPLIT = "split"
    RENAME = "rename"
    KIND = "kind"
    PARENT = "parent"

    CHOICES = [
        (MERGE, gettext_lazy("Nhập (nhiều đơn vị thành một)")),
        (SPLIT, gettext_lazy("Chia tách (một đơn vị thành nhiều)")),
        (RENAME, gettext_lazy("Đổi tên")),
        (KIND, gettext_lazy("Đổi loại (xã thành phường...)")),
        (PARENT, gettext_lazy("Đổi đơn vị cấp trên")),
    ]


KINDS = ["xã", "phường", "thị trấn", "đặc khu"]
# A province's kinds, as the national statistics office names them.
PROVINCE_KINDS = ["tỉnh", "thành phố trung ương"]


@dataclass(frozen=True)
class UnitChange:
    """One unit in force from the effective date, as the administrator describes it."""

    change: str
    predecessors: tuple[str, ...]  # codes of the units in force the day before
    code: str
    name: str
    kind: str
    district: str = ""  # code of its district in force then; "" when there is none
    takes_desk: bool = False  # for a split: it takes the predecessors' desks


@dataclass(frozen=True)
class ProvinceChange:
    """A province's new name or kind, as the administrator describes it."""

    code: str
    name: str
    kind: str


@dataclass
class PlannedProvince:
    unit: Province
    name: str
    kind: str


@dataclass
class PlannedUnit:
    change: str
    code: str
    name: str
    kind: str
    province: Province
    district: District | None
    predecessors: list[Commune]
    # The predecessor that goes on in its own row (same code, same parent), if any.
    keeps: Commune | None
    takes_desk: bool

    @property
    def change_label(self) -> str:
        return str(dict(Change.CHOICES)[self.change])

    @property
    def is_new_row(self) -> bool:
        return self.keeps is None

    def link_kind(self, predecessor: Commune) -> LinkKind:
        if self.change == Change.SPLIT:
            return LinkKind.PART
        return {
            Change.RENAME: LinkKind.RENAMED,
            Change.KIND: LinkKind.KIND_CHANGED,
            Change.PARENT: LinkKind.PARENT_CHANGED,
        }.get(self.change, LinkKind.WHOLE)


@dataclass
class Move:
    """One line of the preview: something of ``unit`` and what becomes of it."""

    unit: Commune
    what: str
    to: Commune | PlannedUnit | None = None
    count: int = 0
    year: int | None = None
    planned_vnd: int = 0
    spent_vnd: int = 0
    # For committees: whether the successor already has one of its own.
    successor_has_one: bool = False


@dataclass
class Plan:
    resolution: str
    effective_on: datetime.date
    note: str
    units: list[PlannedUnit]
    # Dissolved predecessors (their rows end the day before), each with the planned unit
    # that takes its desk (None: a split nobody chose cannot happen, validation refuses).
    dissolved: dict[int, Commune] = field(default_factory=dict)
    desk_of: dict[int, PlannedUnit] = field(default_factory=dict)
    users: list[Move] = field(default_factory=list)
    reviewers: list[Move] = field(default_factory=list)
    district_officials: list[Move] = field(default_factory=list)
    kiosks: list[Move] = field(default_factory=list)
    evidence: list[Move] = field(default_factory=list)
    committees: list[Move] = field(default_factory=list)
    investment: list[Move] = field(default_factory=list)
    late_responses: list[Move] = field(default_factory=list)
    # Districts left with no commune from the effective date: they end the day before
    # (their officials keep reading their history).
    districts_ending: list[District] = field(default_factory=list)
    first_year_on_new_units: int | None = None
    province: PlannedProvince | None = None

    @property
    def last_day(self) -> datetime.date:
        """The last day the dissolved units are in force."""
        return self.effective_on - DAY

    @property
    def evaluated_year(self) -> int:
        return self.effective_on.year

    @property
    def year_evaluated_on_predecessors(self) -> bool:
        """Whether the effective date's year is evaluated on the units before the change."""
        return reference_date(self.effective_on.year) < self.effective_on


def reorganization_preview(
    *,
    resolution: str,
    effective_on: datetime.date,
    changes: list[UnitChange],
    note: str = "",
    province: ProvinceChange | None = None,
) -> Plan:
    """Check a reorganization and list what it would move; write nothing.

    Raises ValidationError with every problem found (``{"__all__": [...], 0: [...]}``
    keyed by the index of the change a problem belongs to).
    """
    errors: dict[str | int, list[str]] = defaultdict(list)
    resolution = resolution.strip()
    if not resolution:
        errors["__all__"].append(_("Cần số nghị quyết."))
    elif Reorganization.objects.filter(resolution=resolution, effective_on=effective_on).exists():
        errors["__all__"].append(_("Nghị quyết này với ngày hiệu lực này đã được ghi nhận."))
    if not changes and province is None:
        errors["__all__"].append(_("Cần ít nhất một đơn vị, hoặc tên hay loại mới của tỉnh."))
    if effective_on > timezone.localdate():
        # Users move to the new units when it is applied, so it is applied once in force.
        errors["__all__"].append(
            _(
                "Ghi nhận đợt sắp xếp từ ngày nó có hiệu lực (%(day)s): "
                "khi đó người dùng mới chuyển."
            )
            % {"day": f"{effective_on:%d/%m/%Y}"}
        )
    day_before = effective_on - DAY
    planned_province = (
        _planned_province(province, day_before=day_before, errors=errors["__all__"])
        if province is not None
        else None
    )

    wanted = {code for change in changes for code in change.predecessors}
    before = {}
    for unit in (
        Commune.objects.in_force(on=day_before)
        .filter(code__in=wanted)
        .select_related("district", "province")
    ):
        before[unit.code] = unit
    district_codes = {change.district for change in changes if change.district}
    districts = {
        d.code: d
        for d in District.objects.in_force(on=effective_on)
        .filter(code__in=district_codes)
        .select_related("province")
    }
    provinces_in_force = set(
        Province.objects.in_force(on=effective_on).values_list("pk", flat=True)
    )

    rows_of: dict[str, list[int]] = defaultdict(list)
    for index, change in enumerate(changes):
        for code in change.predecessors:
            rows_of[code].append(index)

    units = []
    for index, change in enumerate(changes):
        problems = errors[index]
        predecessors = []
        for code in change.predecessors:
            unit = before.get(code)
            if unit is None:
                problems.append(
                    _("Không có xã mã %(code)s có hiệu lực ngày %(day)s.")
                    % {"code": code, "day": f"{day_before:%d/%m/%Y}"}
                )
            elif unit.valid_to is not None:
                problems.append(
                    _("%(unit)s đã có ngày hết hiệu lực (%(day)s).")
                    % {"unit": unit.name, "day": f"{unit.valid_to:%d/%m/%Y}"}
                )
            else:
                predecessors.append(unit)
        if not change.predecessors:
            problems.append(_("Cần ít nhất một đơn vị trước."))
        if change.kind not in KINDS:
            problems.append(_("Loại đơn vị không hợp lệ."))
        district = None
        if change.district:
            district = districts.get(change.district)
            if district is None:
                problems.append(
                    _("Không có huyện mã %(code)s có hiệu lực ngày %(day)s.")
                    % {"code": change.district, "day": f"{effective_on:%d/%m/%Y}"}
                )
        shared = [code for code in change.predecessors if len(rows_of[code]) > 1]
        count = len(change.predecessors)
        if change.change == Change.MERGE and count < 2:
            problems.append(_("Nhập cần ít nhất hai đơn vị trước."))
        if change.change == Change.SPLIT and (count != 1 or not shared):
            problems.append(
                _("Chia tách: một đơn vị trước, ghi ở mỗi đơn vị mới nhận một phần của nó.")
            )
        if change.change != Change.SPLIT and shared:
            problems.append(
                _("%(codes)s có ở nhiều dòng: chỉ dùng được khi chia tách.")
                % {"codes": ", ".join(shared)}
            )
        if change.change in (Change.RENAME, Change.KIND, Change.PARENT) and count != 1:
            problems.append(_("Đổi tên, đổi loại, đổi cấp trên: đúng một đơn vị trước."))
        if problems or not predecessors:
            continue
        provinces = {unit.province_id for unit in predecessors}
        if len(provinces) != 1:
            problems.append(_("Các đơn vị trước thuộc nhiều tỉnh."))
            continue
        parent = predecessors[0].province
        if district is not None and district.province_id != parent.pk:
            problems.append(_("Huyện này không thuộc tỉnh của các đơn vị trước."))
        if parent.pk not in provinces_in_force:
            problems.append(_("Tỉnh của các đơn vị trước không còn hiệu lực ngày đó."))
        same = predecessors[0]
        if change.change == Change.RENAME and (
            change.name == same.name or change.kind != same.kind
        ):
            problems.append(_("Đổi tên: tên mới phải khác, loại giữ nguyên."))
        if change.change == Change.KIND and change.kind == same.kind:
            problems.append(_("Đổi loại: loại mới phải khác loại cũ."))
        if change.change == Change.PARENT and (district and district.pk) == same.district_id:
            problems.append(_("Đổi cấp trên: huyện mới phải khác huyện cũ."))
        keeps = next(
            (
                unit
                for unit in predecessors
                if unit.code == change.code
                and unit.district_id == (district.pk if district else None)
                and unit.province_id == parent.pk
            ),
            None,
        )
        units.append(
            PlannedUnit(
                change=change.change,
                code=change.code,
                name=change.name,
                kind=change.kind,
                province=parent,
                district=district,
                predecessors=predecessors,
                keeps=keeps,
                takes_desk=change.takes_desk,
            )
        )

    # New codes: one unit per code from the effective date.
    codes = [change.code for change in changes]
    for code in {c for c in codes if codes.count(c) > 1}:
        errors["__all__"].append(_("Mã %(code)s dùng cho nhiều đơn vị mới.") % {"code": code})
    dissolving = {unit.pk for planned in units for unit in planned.predecessors} - {
        planned.keeps.pk for planned in units if planned.keeps
    }
    taken = (
        Commune.objects.filter(code__in=codes)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=effective_on))
        .exclude(pk__in=dissolving)
        .exclude(pk__in=[planned.keeps.pk for planned in units if planned.keeps])
    )
    for unit in taken:
        errors["__all__"].append(
            _("Mã %(code)s đang là của %(unit)s, không bị giải thể trong đợt này.")
            % {"code": unit.code, "unit": unit.name}
        )

    # Whose desk each dissolved unit goes to.
    desk_of = {}
    for planned in units:
        for unit in planned.predecessors:
            if unit.pk not in dissolving:
                continue
            takers = [p for p in units if unit in p.predecessors]
            if len(takers) > 1:
                chosen = [p for p in takers if p.takes_desk]
                if len(chosen) != 1:
                    message = _(
                        "Chọn đúng một đơn vị nhận bộ phận một cửa (người dùng, áp phích "
                        "khảo sát) của %(unit)s."
                    ) % {"unit": unit.name}
                    if message not in errors["__all__"]:
                        errors["__all__"].append(message)
                    continue
                takers = chosen
            desk_of[unit.pk] = takers[0]

    errors = {key: value for key, value in errors.items() if value}
    if errors:
        # django-stubs types the dict's keys as field names (str); ValidationError keeps
        # any key, and the form shows each change's problems under its index.
        raise ValidationError(errors)  # type: ignore[arg-type]

    plan = Plan(
        resolution=resolution,
        effective_on=effective_on,
        note=note.strip(),
        units=units,
        dissolved={
            unit.pk: unit for p in units for unit in p.predecessors if unit.pk in dissolving
        },
        desk_of=desk_of,
        province=planned_province,
    )
    _list_moves(plan)
    plan.districts_ending = _districts_ending(plan)
    return plan


def _planned_province(
    change: ProvinceChange, *, day_before: datetime.date, errors: list[str]
) -> PlannedProvince | None:
    """The province the change is about, or None with the problems added to ``errors``."""
    unit = Province.objects.in_force(on=day_before).filter(code=change.code.strip()).first()
    name = change.name.strip()
    if unit is None:
        errors.append(
            _("Không có tỉnh mã %(code)s có hiệu lực ngày %(day)s.")
            % {"code": change.code, "day": f"{day_before:%d/%m/%Y}"}
        )
    elif unit.valid_to is not None:
        errors.append(
            _("%(unit)s đã có ngày hết hiệu lực (%(day)s).")
            % {"unit": unit.name, "day": f"{unit.valid_to:%d/%m/%Y}"}
        )
    elif change.kind not in PROVINCE_KINDS:
        errors.append(_("Loại tỉnh không hợp lệ."))
    elif not name:
        errors.append(_("Cần tên mới của tỉnh."))
    elif (name, change.kind) == (unit.name, unit.kind):
        errors.append(
            _("%(unit)s: tên và loại mới giống tên và loại hiện tại.") % {"unit": unit.name}
        )
    else:
        return PlannedProvince(unit=unit, name=name, kind=change.kind)
    return None


def _districts_ending(plan: Plan) -> list[District]:
    """The districts of the dissolved units that keep no commune from the effective date
    (all of theirs dissolved, merged into another district's or left for no district):
    a district dissolving, which the district's page then shows with where its
    communes went."""
    touched = {unit.district_id for unit in plan.dissolved.values() if unit.district_id}
    if not touched:
        return []
    keeping = set(
        Commune.objects.in_force(on=plan.effective_on)
        .filter(district_id__in=touched)
        .exclude(pk__in=list(plan.dissolved))
        .values_list("district_id", flat=True)
    )
    keeping |= {p.district.pk for p in plan.units if p.district is not None}
    return list(
        District.objects.in_force(on=plan.last_day)
        .filter(pk__in=touched - keeping)
        .order_by("code")
    )


def _list_moves(plan: Plan) -> None:
    """Fill the preview's lists: what each dissolved unit has and what becomes of it."""
    ids = list(plan.dissolved)
    year = plan.evaluated_year
    for scope in (
        UserScope.objects.filter(commune_id__in=ids, role=Role.COMMUNE)
        .select_related("user", "commune")
        .order_by("commune__code", "user__username")
    ):
        unit = plan.dissolved[scope.commune_id or 0]
        plan.users.append(Move(unit=unit, what=scope.user.username, to=plan.desk_of[unit.pk]))
    for scope in (
        UserScope.objects.filter(limited_to__in=ids)
        .select_related("user")
        .prefetch_related("limited_to")
        .distinct()
        .order_by("user__username")
    ):
        for unit in scope.limited_to.all():
            if unit.pk in plan.dissolved:
                plan.reviewers.append(
                    Move(unit=unit, what=scope.user.username, to=plan.desk_of[unit.pk])
                )
    dissolved_districts: dict[int, list[Commune]] = {}
    for unit in plan.dissolved.values():
        if unit.district_id and plan.desk_of[unit.pk].district != unit.district:
            dissolved_districts.setdefault(unit.district_id, []).append(unit)
    for scope in (
        UserScope.objects.filter(district_id__in=dissolved_districts, role=Role.DISTRICT)
        .select_related("user")
        .order_by("user__username")
    ):
        for unit in dissolved_districts.get(scope.district_id or 0, []):
            plan.district_officials.append(Move(unit=unit, what=scope.user.username))
    # Kiosk links and survey responses belong to surveys, the app above: kiosk links are
    # counted through their relation to the commune, responses by a hook (a join from
    # the commune would read the whole survey table, ``communes.hooks``).
    with_kiosk = set(
        Commune.objects.filter(pk__in=ids, kiosk__isnull=False).values_list("pk", flat=True)
    )
    for pk, unit in plan.dissolved.items():
        if pk in with_kiosk:
            plan.kiosks.append(Move(unit=unit, what="kiosk", to=plan.desk_of[pk]))
    late = hooks.survey_responses_from(commune_ids=ids, day=plan.effective_on)
    for pk, unit in plan.dissolved.items():
        if late.get(pk):
            plan.late_responses.append(
                Move(unit=unit, what="responses", to=plan.desk_of[pk], count=late[pk])
            )
    for ev in (
        Evidence.objects.filter(
            commune_id__in=ids,
            year__gte=year,
            state__in=[EvidenceState.DRAFT, EvidenceState.SUBMITTED],
        )
        .values("commune_id", "year", "state")
        .annotate(n=Count("pk"))
        .order_by("commune_id", "year", "state")
    ):
        plan.evidence.append(
            Move(
                unit=plan.dissolved[ev["commune_id"]],
                what=str(EvidenceState(ev["state"]).label),
                to=plan.desk_of[ev["commune_id"]],
                count=ev["n"],
                year=ev["year"],
            )
        )
    committees = (
        SteeringCommittee.objects.filter(commune_id__in=ids)
        .values("commune_id")
        .annotate(n=Count("pk"))
    )
    kept = [p.keeps.pk for p in plan.units if p.keeps]
    with_committee = set(
        SteeringCommittee.objects.filter(commune_id__in=kept).values_list("commune_id", flat=True)
    )
    for cm in committees:
        successor = plan.desk_of[cm["commune_id"]]
        plan.committees.append(
            Move(
                unit=plan.dissolved[cm["commune_id"]],
                what="committee",
                to=successor,
                count=cm["n"],
                successor_has_one=bool(successor.keeps and successor.keeps.pk in with_committee),
            )
        )
    for inv in (
        FacilityInvestment.objects.filter(commune_id__in=ids)
        .values("commune_id")
        .annotate(n=Count("pk"), planned=Sum("planned_vnd"), spent=Sum("spent_vnd"))
    ):
        plan.investment.append(
            Move(
                unit=plan.dissolved[inv["commune_id"]],
                what="investment",
                to=plan.desk_of[inv["commune_id"]],
                count=inv["n"],
                planned_vnd=inv["planned"] or 0,
                spent_vnd=inv["spent"] or 0,
            )
        )
    # The first year evaluated on the new units: the effective date's year when its
    # reference date is on or after the change, else the next one.
    plan.first_year_on_new_units = year + 1 if plan.year_evaluated_on_predecessors else year


@transaction.atomic
def reorganization_apply(
    *,
    resolution: str,
    effective_on: datetime.date,
    changes: list[UnitChange],
    by: User,
    note: str = "",
    province: ProvinceChange | None = None,
) -> Reorganization:
    """Record a reorganization, all of it or nothing (one transaction).

    Validates again (the preview may be stale) and then: ends the dissolved rows the day
    before (and the districts left with no commune), creates the new rows, updates the
    rows that go on, links every predecessor to its successor (resolution, date,
    verified), and moves the commune staff accounts of each dissolved unit to the
    successor that takes its desk.
    """
    plan = reorganization_preview(
        resolution=resolution,
        effective_on=effective_on,
        changes=changes,
        note=note,
        province=province,
    )
    reorganization = Reorganization.objects.create(
        resolution=plan.resolution, effective_on=plan.effective_on, note=plan.note
    )
    _end_dissolved(plan, by=by)
    for district in plan.districts_ending:
        district.valid_to = plan.last_day
        district.save(update_fields=["valid_to"])
    rows: dict[int, Commune] = {}
    for planned in plan.units:
        rows[id(planned)] = _unit_row(planned, plan=plan, reorganization=reorganization, by=by)
    for planned in plan.units:
        row = rows[id(planned)]
        for predecessor in planned.predecessors:
            if predecessor == planned.keeps:
                continue
            _link(
                reorganization,
                predecessor=predecessor,
                successor=row,
                kind=planned.link_kind(predecessor),
                takes_desk=plan.desk_of.get(predecessor.pk) is planned,
            )
    _move_users(plan, rows=rows, by=by)
    # Last: the links above name each predecessor's province as it was the day before.
    if plan.province is not None:
        _rename_province(plan.province, plan=plan, reorganization=reorganization)
    # Every year of the units that ended and began is computed again after the commit: a
    # year evaluated on the new units gets their statuses, and the ended units lose the
    # statuses of years they are no longer evaluated in.
    affected = {*plan.dissolved, *(row.pk for row in rows.values())}
    if affected:
        hooks.recompute_later_many(requests=[(pk, None) for pk in sorted(affected)])
    return reorganization


def _rename_province(
    planned: PlannedProvince, *, plan: Plan, reorganization: Reorganization
) -> None:
    row = planned.unit
    ProvinceRename.objects.create(
        reorganization=reorganization,
        province=row,
        effective_on=plan.effective_on,
        former_name=row.name,
        former_kind=row.kind,
        name=planned.name,
        kind=planned.kind,
    )
    row.name, row.kind = planned.name, planned.kind
    row.save()


def _end_dissolved(plan: Plan, *, by: User) -> None:
    for unit in plan.dissolved.values():
        unit.valid_to = plan.last_day
        unit._history_user = by  # type: ignore[attr-defined]
        unit._change_reason = plan.resolution  # type: ignore[attr-defined]
        unit.save()


def _unit_row(
    planned: PlannedUnit, *, plan: Plan, reorganization: Reorganization, by: User
) -> Commune:
    if planned.keeps is not None:
        row = planned.keeps
        former_name, former_kind = row.name, row.kind
        if (former_name, former_kind) != (planned.name, planned.kind):
            row.name, row.kind = planned.name, planned.kind
            row._history_user = by  # type: ignore[attr-defined]
            row._change_reason = plan.resolution  # type: ignore[attr-defined]
            row.save()
            _link(
                reorganization,
                predecessor=row,
                successor=row,
                kind=LinkKind.RENAMED if former_kind == row.kind else LinkKind.KIND_CHANGED,
                former_name=former_name,
                former_kind=former_kind,
            )
        return row
    only = planned.predecessors[0] if len(planned.predecessors) == 1 else None
    row = Commune(
        code=planned.code,
        name=planned.name,
        kind=planned.kind,
        province=planned.province,
        district=planned.district,
        valid_from=plan.effective_on,
        # The same commune going on under another parent or name keeps its pilot flag
        # and launch; a merged or split unit launches the model anew.
        is_pilot=bool(only and planned.change != Change.SPLIT and only.is_pilot),
        model_launched_on=(
            only.model_launched_on if only and planned.change != Change.SPLIT else None
        ),
    )
    row._history_user = by  # type: ignore[attr-defined]
    row._change_reason = plan.resolution  # type: ignore[attr-defined]
    row.save()
    return row


def _link(
    reorganization: Reorganization,
    *,
    predecessor: Commune,
    successor: Commune,
    kind: LinkKind,
    takes_desk: bool = False,
    former_name: str = "",
    former_kind: str = "",
) -> None:
    CommuneLink.objects.create(
        reorganization=reorganization,
        predecessor=predecessor,
        predecessor_code=predecessor.code,
        predecessor_name=former_name or predecessor.name,
        predecessor_district=(
            f"{predecessor.district.name} ({predecessor.district.code})"
            if predecessor.district is not None
            else ""
        ),
        predecessor_province=f"{predecessor.province.name} ({predecessor.province.code})",
        successor=successor,
        kind=kind,
        resolution=reorganization.resolution,
        effective_on=reorganization.effective_on,
        certainty=Certainty.VERIFIED,
        takes_desk=takes_desk,
        former_name=former_name,
        former_kind=former_kind,
    )


def _move_users(plan: Plan, *, rows: dict[int, Commune], by: User) -> None:
    """Commune staff of a dissolved unit now serve the unit that took its desk; a reviewer
    limited to it is given that unit too (and keeps the old one, for its history)."""
    for scope in UserScope.objects.filter(commune_id__in=plan.dissolved, role=Role.COMMUNE):
        scope.commune = rows[id(plan.desk_of[scope.commune_id or 0])]
        scope._history_user = by  # type: ignore[attr-defined]
        scope._change_reason = plan.resolution  # type: ignore[attr-defined]
        scope.save()
    for scope in UserScope.objects.filter(limited_to__in=list(plan.dissolved)).distinct():
        for unit_id in scope.limited_to.filter(pk__in=plan.dissolved).values_list("pk", flat=True):
            scope.limited_to.add(rows[id(plan.desk_of[unit_id])])

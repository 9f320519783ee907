"""Deterministic demo data of the communes app.

The demo accounts and their scope; steering committees (the province, the 10
districts, the communes that set one up) with launch dates; evidence for 2023-2025
in every state, telling the story of ``readiness_year``: from its readiness year on,
a commune has every required criterion approved (measured values above thresholds)
and at least PASS_SCORE points of scored criteria; before it, a realistic mix.
"""

import datetime
import hashlib
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from communes import uploads
from communes.models import (
    CommitteeMember,
    Commune,
    CommuneLink,
    Criterion,
    CriterionKind,
    District,
    Evidence,
    EvidenceFile,
    EvidenceState,
    EvidenceTransition,
    Level,
    MemberRole,
    Province,
    Role,
    SteeringCommittee,
    UserScope,
)
from communes.text import fold, person_name

DEMO_PASSWORD = "demo-pass-2023"  # noqa: S105 (documented in the README; DEBUG only)
# The demo accounts' mail goes to a reserved domain (RFC 2606): never to a real inbox.
DEMO_EMAIL_DOMAIN = "example.org"

# username, full name, role, unit code
DEMO_ACCOUNTS = [
    ("admin", "Quản trị hệ thống", Role.ADMIN, None),
    ("tinh", "Nguyễn Văn Tỉnh", Role.PROVINCE, "24"),
    ("huyen.lucnam", "Trần Thị Huyền", Role.DISTRICT, "218"),
    ("xa.doingo", "Lê Văn Đồi", Role.COMMUNE, "7444"),
    ("xa.leloi", "Phạm Thị Lợi", Role.COMMUNE, "7219"),
    # Today's Tỉnh Bắc Ninh (code 24 again, from 1/7/2025): reviews where there are no
    # districts. Seeded once the later periods are loaded.
    ("thamdinh.bacninh", "Đỗ Thị Thẩm", Role.PROVINCE_REVIEWER, "24"),
    # Today's province's official, and the staff of Xã Lục Nam (7444 since 1/7/2025, the
    # code Đồi Ngô had): the daily loop of 2026.
    ("tinh.bacninh", "Vũ Văn Ninh", Role.PROVINCE, "24"),
    ("xa.lucnam", "Hoàng Thị Nam", Role.COMMUNE, "7444"),
    # Two wards of old Bắc Ninh's area, starting the programme in 2026.
    ("xa.vuninh", "Nguyễn Thị Vũ", Role.COMMUNE, "9169"),
    ("xa.kinhbac", "Trần Văn Kinh", Role.COMMUNE, "9187"),
]
# The day each account's unit is looked up on (codes are reused): the programme's basis
# unless said otherwise.
ACCOUNT_DAYS = {
    "thamdinh.bacninh": datetime.date(2026, 1, 1),
    "tinh.bacninh": datetime.date(2026, 1, 1),
    "xa.lucnam": datetime.date(2026, 1, 1),
    "xa.vuninh": datetime.date(2026, 1, 1),
    "xa.kinhbac": datetime.date(2026, 1, 1),
}
BASIS_DAY = datetime.date(2024, 1, 1)


def seed_accounts():
    """Create or reset the demo accounts, each with its role and scope."""
    User = get_user_model()
    for username, full_name, role, unit_code in DEMO_ACCOUNTS:
        day = ACCOUNT_DAYS.get(username, BASIS_DAY)
        unit = {
            Role.PROVINCE: ("province", Province),
            Role.PROVINCE_REVIEWER: ("province", Province),
            Role.DISTRICT: ("district", District),
            Role.COMMUNE: ("commune", Commune),
        }.get(role)
        if unit and not unit[1].objects.in_force(on=day).filter(code=unit_code).exists():
            continue  # that period is not loaded
        first, _, last = full_name.rpartition(" ")
        user, _created = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = last, first
        user.email = f"{username}@{DEMO_EMAIL_DOMAIN}"
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        scope_fields = {"role": role, "province": None, "district": None, "commune": None}
        if unit:
            field, model = unit
            scope_fields[field] = model.objects.in_force(on=day).get(code=unit_code)
        UserScope.objects.update_or_create(user=user, defaults=scope_fields)


# Lục Nam (the pilot district) and Bắc Giang city move first; the rest follow.
_EARLY_DISTRICTS = {"218", "213"}


def readiness_year(commune) -> int | None:
    """The first year the demo commune meets every rule (None: not even by 2025).

    Every app's demo seeder reads this so that evidence, surveys and committees tell
    one consistent story: about a third certified in 2023, more in 2024, most but not
    all in 2025, varying by district. Deterministic: a hash of the commune code.
    """
    if commune.district_id is None:
        return _readiness_today(commune)
    if commune.code in ("7444", "7219"):  # Đồi Ngô (pilot) and Lê Lợi (Fast Friday)
        return 2023
    draw = int(hashlib.sha256(commune.code.encode()).hexdigest()[:8], 16) % 100
    early = commune.district.code in _EARLY_DISTRICTS
    if draw < (58 if early else 32):
        return 2023
    if draw < (82 if early else 62):
        return 2024
    if draw < (95 if early else 88):
        return 2025
    return None


def _readiness_today(commune) -> int | None:
    """A commune of today's Tỉnh Bắc Ninh (from 1/7/2025): about half of those formed
    from old Bắc Giang's communes are certified in 2026; old Bắc Ninh's are starting."""
    from_bac_giang = getattr(commune, "_from_bac_giang", None)
    if from_bac_giang is None:
        from_bac_giang = commune.predecessor_links.filter(predecessor__isnull=False).exists()
    if not from_bac_giang:
        return None
    return 2026 if _hash("ready-2026:" + commune.code) % 100 < 42 else None


def one_item_away(commune, year: int) -> bool:
    """Whether the demo commune lacks a single checklist item in ``year``, surveys passing.

    Some communes get this far the year before they qualify (or in 2025, for those that
    never do): the dashboards' "closest to certification" list names that one item.
    """
    ready = readiness_year(commune)
    if ready is not None and year >= ready:
        return False
    last = 2026 if commune.district_id is None else 2025
    if year != (ready - 1 if ready is not None else last):
        return False
    return _hash("one-item-away:" + commune.code) % 100 < 45


def seed():
    seed_accounts()
    # The programme's basis (2023-2024, and 2025 for the units that continued in place);
    # the units of the later periods are seeded by seed_later_periods.
    communes = list(
        Commune.objects.filter(valid_from=None).select_related("district").order_by("code")
    )
    plans = commune_plans(communes)
    seed_committees(communes, plans)
    seed_evidence(communes, plans, actors=seed_actors(communes))
    seed_later_periods()


def seed_later_periods():
    """2025 for the communes that moved district on 1/1/2025, and 2026 for the 99 of
    today's Tỉnh Bắc Ninh (about half of old Bắc Giang's area certified, old Bắc Ninh's
    starting): nothing when only the basis is loaded. Safe to run twice."""
    later = list(
        Commune.objects.filter(valid_from__isnull=False)
        .select_related("district")
        .order_by("valid_from", "code")
    )
    if not later:
        return
    from_bac_giang = set(
        CommuneLink.objects.filter(successor__in=later, predecessor__isnull=False).values_list(
            "successor_id", flat=True
        )
    )
    for commune in later:
        commune._from_bac_giang = commune.pk in from_bac_giang
    plans = later_plans(later)
    seed_committees(later, plans)
    actors = seed_actors(later)
    reviewer = get_user_model().objects.filter(username="thamdinh.bacninh").first()
    for commune in later:
        if commune.district_id is None:
            actors.district[None] = reviewer
    for year in (2025, 2026):
        units = [c for c in later if c.is_in_force(datetime.date(year, 1, 1))]
        seed_evidence(units, plans, actors=actors, years=(year,))


def later_plans(communes) -> dict[int, "CommunePlan"]:
    """Committees and launches of the units formed on 1/1/2025 or 1/7/2025, after they
    were formed."""
    plans = {}
    for commune in communes:
        rng = _rng("plan", commune.code, commune.valid_from)
        ready = readiness_year(commune)
        start = commune.valid_from
        if commune.district_id is not None or ready is not None:
            committee = start + datetime.timedelta(days=rng.randint(10, 45))
            launch = committee + datetime.timedelta(days=rng.randint(20, 50))
        elif commune._from_bac_giang or rng.random() < 0.7:
            committee = _day(rng, start + datetime.timedelta(days=30), datetime.date(2026, 3, 31))
            launch = committee + datetime.timedelta(days=rng.randint(30, 150))
        else:
            committee = launch = None
        plans[commune.pk] = CommunePlan(ready, committee, launch)
    return plans


# --- Shared helpers ------------------------------------------------------------------------

DEMO_YEARS = (2023, 2024, 2025)
# The pass score the demo data is built for (targets' CertificationRule.pass_score): the
# scored criteria carry 35 points in 2023 and 40 from 2024 (see migration 0003).
PASS_SCORE = 25
# Communes that are not ready even in 2025: a handful never set up a committee.
NEVER_LAUNCHED = 5
PILOT = "7444"  # Đồi Ngô, Lục Nam's pilot town
LE_LOI = "7219"


def _rng(*parts) -> random.Random:
    """A generator of its own for each thing seeded: adding one thing moves no other."""
    return random.Random("|".join(str(p) for p in parts))


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _day(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _at(day: datetime.date, rng) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(7, 16), rng.randint(0, 59)))
    return timezone.make_aware(moment)


FAMILY = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Ngô", "Dương", "Bùi",
    "Đặng", "Giáp", "Thân", "Hà", "Lương", "Nông", "Chu", "Tạ", "Lý", "Đào",
]  # fmt: skip
MIDDLE = {
    "m": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Trọng", "Công", "Mạnh"],
    "f": ["Thị", "Thu", "Ngọc", "Hồng", "Minh", "Thanh", "Kim"],
}
GIVEN = {
    "m": [
        "Hùng", "Dũng", "Hải", "Long", "Thắng", "Tuấn", "Hòa", "Bình", "Nam", "Cường",
        "Quyết", "Sơn", "Toàn", "Khánh", "Tiến", "Hưng", "Trung", "Việt", "Đạt", "Thành",
    ],
    "f": [
        "Hương", "Lan", "Phương", "Hạnh", "Thủy", "Trang", "Yến", "Huyền", "Nga", "Hoa",
        "Linh", "Thảo", "Dung", "Mai", "Hằng",
    ],
}  # fmt: skip


def _person(rng) -> str:
    sex = "f" if rng.random() < 0.35 else "m"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def _local_name(unit) -> str:
    """ "Huyện Lục Nam" -> "huyện Lục Nam", as organisations are written mid-sentence."""
    kind = unit.kind.lower()
    rest = unit.name[len(kind) :].strip() if unit.name.lower().startswith(kind) else unit.name
    return f"{kind} {rest}"


def _short_name(unit) -> str:
    kind = unit.kind.lower()
    return unit.name[len(kind) :].strip() if unit.name.lower().startswith(kind) else unit.name


# --- Actors of the history ----------------------------------------------------------------


@dataclass
class Actors:
    """Who acts in the demo history: a staff member per commune, a reviewer per district."""

    commune: dict = field(default_factory=dict)  # commune id -> user
    district: dict = field(default_factory=dict)  # district id -> user


def seed_actors(communes) -> Actors:
    """The demo accounts, plus one account per other commune and district.

    The extra accounts (``demo.xa.<code>``, ``demo.huyen.<code>``) have no usable
    password: they only give the demo history real-looking names.
    """
    User = get_user_model()
    wanted = {}  # username -> (role, unit)
    for district in District.objects.all():
        name = "huyen.lucnam" if district.code == "218" else f"demo.huyen.{district.code}"
        wanted[name] = (Role.DISTRICT, district)
    for commune in communes:
        if commune.valid_from is None:
            name = {PILOT: "xa.doingo", LE_LOI: "xa.leloi"}.get(
                commune.code, f"demo.xa.{commune.code}"
            )
        else:  # a later unit reusing the code
            name = f"demo.xa.{commune.code}.{commune.valid_from:%Y%m}"
        wanted[name] = (Role.COMMUNE, commune)
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    new_users = []
    for username in sorted(set(wanted) - existing):
        first, _, last = _person(_rng("actor", username)).rpartition(" ")
        new_users.append(
            User(username=username, first_name=last, last_name=first, password=make_password(None))
        )
    User.objects.bulk_create(new_users)
    users = User.objects.in_bulk(list(wanted), field_name="username")
    scoped = set(
        UserScope.objects.filter(user__in=users.values()).values_list("user_id", flat=True)
    )
    scopes = []
    for username, (role, unit) in wanted.items():
        user = users[username]
        if user.pk not in scoped:
            scopes.append(UserScope(user=user, role=role, **{role: unit}))
    UserScope.objects.bulk_create(scopes)
    actors = Actors()
    for username, (role, unit) in wanted.items():
        getattr(actors, role)[unit.pk] = users[username]
    return actors


# --- Steering committees ------------------------------------------------------------------


@dataclass(frozen=True)
class CommunePlan:
    readiness: int | None
    committee_on: datetime.date | None
    launched_on: datetime.date | None


def commune_plans(communes) -> dict[int, CommunePlan]:
    """When each commune set up its committee and launched the model, by its readiness."""
    not_ready = sorted(
        (c for c in communes if readiness_year(c) is None), key=lambda c: _hash(c.code)
    )
    never = {c.code for c in not_ready[:NEVER_LAUNCHED]}
    plans = {}
    d = datetime.date
    for commune in communes:
        ready = readiness_year(commune)
        rng = _rng("plan", commune.code)
        committee: datetime.date | None
        launch: datetime.date | None
        if commune.code == PILOT:
            committee, launch = d(2023, 1, 9), d(2023, 2, 15)
        elif commune.code in never:
            committee = launch = None
        elif ready == 2023:
            committee = _day(rng, d(2023, 2, 1), d(2023, 4, 30))
            launch = committee + datetime.timedelta(days=rng.randint(20, 60))
        elif ready == 2024:
            committee = _day(rng, d(2023, 3, 1), d(2023, 12, 15))
            launch = committee + datetime.timedelta(days=rng.randint(20, 100))
        elif ready == 2025:
            committee = _day(rng, d(2023, 6, 1), d(2024, 10, 31))
            launch = committee + datetime.timedelta(days=rng.randint(30, 150))
        else:  # launched late, and without the full evidence by 2025
            committee = _day(rng, d(2024, 3, 1), d(2025, 3, 31))
            launch = min(committee + datetime.timedelta(days=rng.randint(60, 200)), d(2025, 10, 31))
        plans[commune.pk] = CommunePlan(ready, committee, launch)
    return plans


MEMBER, DEPUTY, CHAIR = MemberRole.MEMBER, MemberRole.DEPUTY, MemberRole.CHAIR

PROVINCE_MEMBERS = [
    ("Chủ tịch UBND tỉnh", "UBND tỉnh Bắc Giang", CHAIR),
    ("Phó Chủ tịch UBND tỉnh", "UBND tỉnh Bắc Giang", DEPUTY),
    ("Giám đốc Sở Nội vụ", "Sở Nội vụ", DEPUTY),
    ("Chánh Văn phòng UBND tỉnh", "Văn phòng UBND tỉnh", MEMBER),
    ("Phó Trưởng Ban Dân vận Tỉnh ủy", "Ban Dân vận Tỉnh ủy", MEMBER),
    ("Giám đốc Sở Tư pháp", "Sở Tư pháp", MEMBER),
    ("Giám đốc Sở Thông tin và Truyền thông", "Sở Thông tin và Truyền thông", MEMBER),
    ("Giám đốc Sở Tài chính", "Sở Tài chính", MEMBER),
    ("Phó Chủ tịch Ủy ban MTTQ Việt Nam tỉnh", "Ủy ban MTTQ Việt Nam tỉnh Bắc Giang", MEMBER),
    ("Phó Giám đốc Sở Nội vụ", "Sở Nội vụ", MEMBER),
]

# {kind}: "huyện" / "thành phố"; {unit}: "huyện Lục Nam"; {short}: "Lục Nam";
# {party}: "Huyện ủy" / "Thành ủy"; {youth}: "Huyện đoàn" / "Thành đoàn".
DISTRICT_MEMBERS = [
    ("Chủ tịch UBND {kind}", "UBND {unit}", CHAIR),
    ("Phó Chủ tịch UBND {kind}", "UBND {unit}", DEPUTY),
    ("Trưởng phòng Nội vụ", "Phòng Nội vụ {unit}", DEPUTY),
    ("Chánh Văn phòng HĐND và UBND {kind}", "Văn phòng HĐND và UBND {unit}", MEMBER),
    ("Trưởng Ban Dân vận {party}", "Ban Dân vận {party} {short}", MEMBER),
    ("Chủ tịch Ủy ban MTTQ Việt Nam {kind}", "Ủy ban MTTQ Việt Nam {unit}", MEMBER),
    ("Trưởng phòng Tư pháp", "Phòng Tư pháp {unit}", MEMBER),
    ("Trưởng phòng Văn hóa và Thông tin", "Phòng Văn hóa và Thông tin {unit}", MEMBER),
    ("Trưởng phòng Tài chính – Kế hoạch", "Phòng Tài chính – Kế hoạch {unit}", MEMBER),
    (
        "Giám đốc Trung tâm Văn hóa, Thông tin và Thể thao",
        "Trung tâm Văn hóa, Thông tin và Thể thao {unit}",
        MEMBER,
    ),
    ("Bí thư {youth}", "{youth} {short}", MEMBER),
    ("Chủ tịch Hội Liên hiệp Phụ nữ {kind}", "Hội Liên hiệp Phụ nữ {unit}", MEMBER),
    ("Phó Trưởng phòng Nội vụ, thư ký Ban", "Phòng Nội vụ {unit}", MEMBER),
]

# {kind}: "xã" / "phường" / "thị trấn"; {unit}: "thị trấn Đồi Ngô".
COMMUNE_MEMBERS = [
    ("Chủ tịch UBND {kind}", "UBND {unit}", CHAIR),
    ("Phó Chủ tịch UBND {kind}", "UBND {unit}", DEPUTY),
    ("Công chức Văn phòng – Thống kê", "UBND {unit}", MEMBER),
    ("Công chức Tư pháp – Hộ tịch", "UBND {unit}", MEMBER),
    ("Công chức Địa chính – Xây dựng", "UBND {unit}", MEMBER),
    ("Công chức Văn hóa – Xã hội", "UBND {unit}", MEMBER),
    ("Chủ tịch Ủy ban MTTQ Việt Nam {kind}", "Ủy ban MTTQ Việt Nam {unit}", MEMBER),
    ("Bí thư Đoàn Thanh niên {kind}", "Đoàn Thanh niên {unit}", MEMBER),
    ("Chủ tịch Hội Liên hiệp Phụ nữ {kind}", "Hội Liên hiệp Phụ nữ {unit}", MEMBER),
]


def _members(rng, rows, **names) -> list[CommitteeMember]:
    return [
        CommitteeMember(
            full_name=_person(rng),
            position=position.format(**names),
            organisation=organisation.format(**names),
            role=role,
            order=order,
        )
        for order, (position, organisation, role) in enumerate(rows, start=1)
    ]


def seed_committees(communes, plans) -> None:
    """The province's, every district's and each launched commune's committee; launch dates.

    A unit that already has a committee keeps it (and its members): safe to run twice.
    """
    has_committee = {
        (c["level"], c["province_id"] or c["district_id"] or c["commune_id"])
        for c in SteeringCommittee.objects.values(
            "level", "province_id", "district_id", "commune_id"
        )
    }
    pending: list[tuple[SteeringCommittee, list[CommitteeMember]]] = []

    province = Province.objects.filter(valid_from=None).first()
    if province and (Level.PROVINCE, province.pk) not in has_committee:
        rng = _rng("committee", "province")
        committee = SteeringCommittee(
            level=Level.PROVINCE,
            province=province,
            decision_number="1362/QĐ-UBND",
            established_on=datetime.date(2022, 9, 26),
            note="Ban Chỉ đạo xây dựng mô hình “Chính quyền thân thiện” tỉnh Bắc Giang.",
        )
        pending.append((committee, _members(rng, PROVINCE_MEMBERS)))

    for district in District.objects.order_by("code"):
        if (Level.DISTRICT, district.pk) in has_committee:
            continue
        rng = _rng("committee", district.code)
        if district.valid_from is not None:
            continue  # formed on 1/1/2025 (Thị xã Chũ): its committee is not in the story
        kind = district.kind.lower()
        names = {
            "kind": kind,
            "unit": _local_name(district),
            "short": _short_name(district),
            "party": "Thành ủy" if kind == "thành phố" else "Huyện ủy",
            "youth": "Thành đoàn" if kind == "thành phố" else "Huyện đoàn",
        }
        # Lục Nam, the pilot district, has the full 13; the others 9 to 12.
        rows = (
            DISTRICT_MEMBERS if district.code == "218" else DISTRICT_MEMBERS[: rng.randint(9, 12)]
        )
        committee = SteeringCommittee(
            level=Level.DISTRICT,
            district=district,
            decision_number=f"{rng.randint(1200, 3400)}/QĐ-UBND",
            established_on=_day(rng, datetime.date(2022, 10, 3), datetime.date(2022, 12, 20)),
        )
        pending.append((committee, _members(rng, rows, **names)))

    for commune in communes:
        plan = plans[commune.pk]
        if plan.committee_on is None or (Level.COMMUNE, commune.pk) in has_committee:
            continue
        rng = _rng("committee", commune.code, *([commune.valid_from] if commune.valid_from else []))
        names = {"kind": commune.kind.lower(), "unit": _local_name(commune)}
        rows = COMMUNE_MEMBERS[:6] + rng.sample(COMMUNE_MEMBERS[6:], rng.randint(1, 3))
        committee = SteeringCommittee(
            level=Level.COMMUNE,
            commune=commune,
            decision_number=f"{rng.randint(12, 190)}/QĐ-UBND",
            established_on=plan.committee_on,
        )
        pending.append((committee, _members(rng, rows, **names)))

    committees = SteeringCommittee.objects.bulk_create([c for c, _ in pending])
    members = []
    for committee, (_, appointed) in zip(committees, pending, strict=True):
        for member in appointed:
            member.committee = committee
            members.append(member)
    CommitteeMember.objects.bulk_create(members, batch_size=500)

    for commune in communes:
        plan = plans[commune.pk]
        commune.model_launched_on = plan.launched_on
        # The pilot is Đồi Ngô, not a later unit that reuses its code (Xã Lục Nam).
        commune.is_pilot = commune.is_pilot or (
            commune.code == PILOT and commune.valid_from is None
        )
    Commune.objects.bulk_update(communes, ["model_launched_on", "is_pilot"], batch_size=250)


# --- Evidence -------------------------------------------------------------------------------

APPROVED, SUBMITTED, DRAFT, REJECTED = (
    EvidenceState.APPROVED,
    EvidenceState.SUBMITTED,
    EvidenceState.DRAFT,
    EvidenceState.REJECTED,
)
MISSING = "missing"
# Approved after one return; reopened after approval and sent again with a change.
RETURNED_THEN_APPROVED = "returned_then_approved"
UPDATED_AFTER_APPROVAL = "updated_after_approval"

RETURN_NOTES: dict[str, list[str]] = {
    CriterionKind.EVIDENCE: [
        "Ảnh chụp chưa thấy rõ nội dung; đề nghị chụp lại cận cảnh và toàn cảnh.",
        "Ảnh là của năm trước; đề nghị bổ sung ảnh chụp trong năm đánh giá.",
        "Chưa có văn bản ban hành kèm theo; đề nghị bổ sung bản scan có chữ ký, đóng dấu.",
        "Minh chứng chưa đủ cho tất cả vị trí làm việc tại Bộ phận một cửa; đề nghị bổ sung.",
        "Đề nghị ghi rõ thời gian, địa điểm và kèm danh sách người tham gia.",
    ],
    CriterionKind.MEASURED: [
        "Số liệu chưa khớp báo cáo trên Hệ thống thông tin giải quyết TTHC của tỉnh; đề nghị "
        "kiểm tra lại.",
        "Đề nghị kèm báo cáo trích xuất từ hệ thống, có xác nhận của lãnh đạo UBND.",
        "Số liệu mới tính đến tháng 9; đề nghị cập nhật số liệu cả năm.",
    ],
}
APPROVAL_NOTES = ["", "", "", "Đạt yêu cầu.", "Minh chứng đầy đủ, rõ ràng."]

# Plausible ranges of the measured criteria (low, high).
VALUE_RANGES = {
    "TTHC-01": (Decimal("86"), Decimal("100")),
    "CNTT-01": (Decimal("28"), Decimal("96")),
    "CNTT-02": (Decimal("12"), Decimal("72")),
}

# Fixed stories for the demo accounts' communes in 2025 (criterion code -> state).
STORIES: dict[tuple[str, int], dict[str, str]] = {
    (PILOT, 2025): {
        "CNTT-03": UPDATED_AFTER_APPROVAL,
        "TTHC-02": DRAFT,
        "CNTT-02": REJECTED,
        "TT-02": APPROVED,
        "CSVC-04": APPROVED,
        "CSVC-05": APPROVED,
        "TDCB-04": APPROVED,
    },
    (LE_LOI, 2025): {
        "TT-02": APPROVED,
        "CNTT-02": APPROVED,
        "CSVC-05": APPROVED,
        "TDCB-04": APPROVED,
        "CSVC-04": SUBMITTED,
        "CNTT-03": REJECTED,
    },
}
NOTES = {
    (LE_LOI, "TT-02"): "Áp dụng “Ngày thứ 6 nhanh” từ năm 2022: tăng cường cán bộ vào thứ Sáu, "
    "giải quyết ngay trong ngày các thủ tục thường mất 1–3 ngày làm việc.",
}


@dataclass
class Planned:
    """One evidence to create: its final state and how it got there."""

    criterion: Criterion
    story: str  # a state, or one of the stories above
    value: Decimal | None = None
    note: str = ""


def _value(criterion, rng, *, meets: bool | None) -> Decimal:
    threshold = criterion.threshold if criterion.threshold is not None else Decimal("50")
    low, high = VALUE_RANGES.get(criterion.code, (threshold / 2, min(threshold * 2, Decimal(100))))
    if meets is True:
        low = max(low, threshold + Decimal("0.5"))
    elif meets is False:
        high = min(high, threshold - Decimal("0.5"))
    tenths = rng.randint(int(low * 10), int(high * 10))
    return Decimal(tenths) / 10


def _other_state(rng, year: int) -> str:
    """A realistic unfinished state; items still waiting for review only in the last year."""
    states = [MISSING, DRAFT, REJECTED] + ([SUBMITTED, SUBMITTED] if year >= DEMO_YEARS[-1] else [])
    return rng.choice(states)


def plan_evidence(commune, plan: CommunePlan, year: int, criteria) -> list[Planned]:
    """What the commune has for ``year``: consistent with its readiness year.

    From the readiness year on: every required criterion approved (measured values above
    their thresholds) and scored criteria approved until PASS_SCORE is reached; the other
    scored criteria anywhere in the workflow. Before it: at least one required criterion
    is not approved (missing, draft, returned or waiting for review), and approved
    measured values may fall short of their threshold.
    """
    if plan.launched_on is None or plan.launched_on.year > year:
        return []
    rng = _rng("evidence", commune.code, year)
    ready = plan.readiness is not None and year >= plan.readiness
    near = not ready and one_item_away(commune, year)
    story = STORIES.get((commune.code, year), {})
    reviewed = [c for c in criteria if c.kind != CriterionKind.SURVEY]
    required = [c for c in reviewed if c.is_required]
    scored = [c for c in reviewed if not c.is_required]
    states: dict[int, str] = {}
    meets: dict[int, bool | None] = {}

    if ready or near:
        for criterion in required:
            states[criterion.pk] = APPROVED
            meets[criterion.pk] = True
        if near:  # everything but one required item
            blocker = rng.choice([c for c in required if c.code not in story])
            states[blocker.pk] = _other_state(rng, year)
        points = sum(c.points for c in scored if story.get(c.code) == APPROVED)
        for criterion in sorted(scored, key=lambda c: (-c.points, rng.random())):
            if criterion.code in story:
                continue
            if points < PASS_SCORE:
                states[criterion.pk] = APPROVED
                meets[criterion.pk] = True
                points += criterion.points
            else:
                states[criterion.pk] = rng.choice([APPROVED, APPROVED, _other_state(rng, year)])
    else:
        blockers = rng.sample(required, rng.randint(1, min(4, len(required))))
        for criterion in required:
            if criterion in blockers:
                states[criterion.pk] = _other_state(rng, year)
            else:
                states[criterion.pk] = APPROVED if rng.random() < 0.8 else _other_state(rng, year)
            # Some approved figures fall short of the threshold: a NOT_MET to fix.
            meets[criterion.pk] = None if rng.random() < 0.35 else True
        for criterion in scored:
            states[criterion.pk] = rng.choice([APPROVED, _other_state(rng, year)])

    for criterion in reviewed:
        if criterion.code in story:
            states[criterion.pk] = story[criterion.code]
            meets[criterion.pk] = True
        if states[criterion.pk] == APPROVED and rng.random() < 0.15:
            states[criterion.pk] = RETURNED_THEN_APPROVED

    planned = []
    for criterion in reviewed:
        state = states[criterion.pk]
        if state == MISSING:
            continue
        value = None
        if criterion.kind == CriterionKind.MEASURED:
            if state == DRAFT and rng.random() < 0.4:
                value = None  # a draft started before the figures were in
            else:
                value = _value(criterion, rng, meets=meets.get(criterion.pk))
        note = NOTES.get((commune.code, criterion.code)) or _note(criterion, year, rng)
        planned.append(Planned(criterion=criterion, story=state, value=value, note=note))
    return planned


def _note(criterion, year, rng) -> str:
    if criterion.kind == CriterionKind.MEASURED:
        return (
            f"Số liệu trích từ Hệ thống thông tin giải quyết TTHC tỉnh, tính đến "
            f"{rng.randint(10, 20)}/12/{year}."
        )
    return rng.choice(
        [
            f"Ảnh chụp tại Bộ phận một cửa tháng {rng.randint(3, 11)}/{year}.",
            f"Minh chứng năm {year}, đã được Chủ tịch UBND xem xét trước khi gửi.",
            "",
        ]
    )


# --- Files shared by the demo evidence ------------------------------------------------------


@dataclass(frozen=True)
class DemoFile:
    name: str
    thumbnail: str
    content_type: str
    size: int
    extension: str


def _demo_png(code: str, title: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    rng = _rng("png", code)
    big, small = ImageFont.load_default(size=40), ImageFont.load_default(size=22)
    image = Image.new("RGB", (800, 520), (rng.randint(170, 230), rng.randint(190, 235), 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 90, 740, 250), fill=(200, 30, 40))
    draw.rectangle((60, 300, 740, 460), fill=(250, 250, 245), outline=(120, 120, 120), width=3)
    draw.text((90, 145), "CHINH QUYEN THAN THIEN", fill=(255, 220, 60), font=big)
    draw.text((90, 330), f"{code} - anh minh chung (du lieu demo)", fill=(30, 30, 30), font=small)
    draw.text((90, 375), fold(title)[:52], fill=(60, 60, 60), font=small)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _demo_pdf(text: str) -> bytes:
    """A one-page PDF with a line of (ASCII) text, built by hand: no dependency needed."""
    stream = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _store_once(name: str, data: bytes) -> str:
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        assert saved == name, saved
    return name


def demo_files(criteria) -> dict[str, DemoFile]:
    """A photo per evidence criterion and one PDF report, stored once and shared by rows."""
    files = {}
    for criterion in criteria:
        if criterion.kind != CriterionKind.EVIDENCE:
            continue
        data = _demo_png(criterion.code, criterion.title)
        name = _store_once(f"evidence/demo/{criterion.code}.png", data)
        thumbnail = uploads.make_thumbnail(data)
        assert thumbnail is not None  # the PNG drawn just above
        thumb = _store_once(f"evidence/demo/{criterion.code}_thumb.jpg", thumbnail)
        files[criterion.code] = DemoFile(name, thumb, "image/png", len(data), "png")
    pdf = _demo_pdf("Bao cao so lieu giai quyet thu tuc hanh chinh (du lieu demo)")
    files["report"] = DemoFile(
        _store_once("evidence/demo/bao-cao-so-lieu.pdf", pdf),
        "",
        "application/pdf",
        len(pdf),
        "pdf",
    )
    return files


# --- Writing it all --------------------------------------------------------------------------


def seed_evidence(communes, plans, *, actors: Actors, years=DEMO_YEARS) -> None:
    """Evidence, files and history for ``years`` (2023-2025), for the years each commune
    is in force; evidence already there is left alone."""
    criteria_by_year = {y: list(Criterion.objects.active_in(y)) for y in years}
    existing = set(
        Evidence.objects.filter(year__in=years).values_list("commune_id", "criterion_id", "year")
    )
    files = demo_files({c for cs in criteria_by_year.values() for c in cs})
    now = timezone.now()
    rows: list[tuple[Evidence, list, list]] = []  # evidence, transitions, files
    planned: list[Planned] = []  # what each row was built from

    for commune in communes:
        staff = actors.commune[commune.pk]
        reviewer = actors.district[commune.district_id]
        for year in years:
            if not commune.is_in_force(datetime.date(year, 1, 1)):
                continue  # merged into another, or moved district, by then
            for item in plan_evidence(commune, plans[commune.pk], year, criteria_by_year[year]):
                if (commune.pk, item.criterion.pk, year) in existing:
                    continue
                rng = _rng("history", commune.code, year, item.criterion.code)
                rows.append(
                    _build(
                        commune,
                        year,
                        item,
                        rng,
                        staff=staff,
                        reviewer=reviewer,
                        files=files,
                        now=now,
                    )
                )
                planned.append(item)

    evidence = Evidence.objects.bulk_create([e for e, _, _ in rows], batch_size=500)
    transitions, evidence_files = [], []
    for saved, (_, moves, attached) in zip(evidence, rows, strict=True):
        for move in moves:
            move.evidence = saved
            transitions.append(move)
        for attachment in attached:
            attachment.evidence = saved
            evidence_files.append(attachment)
    EvidenceTransition.objects.bulk_create(transitions, batch_size=1000)
    EvidenceFile.objects.bulk_create(evidence_files, batch_size=1000)

    # What the approval approved, for the rows updated since (now that files have ids).
    # Approved rows need none: they are locked, so their content is what was approved, and
    # evidence_reopen takes the snapshot when one is opened again.
    updated = []
    for saved, (_, moves, attached), item in zip(evidence, rows, planned, strict=True):
        if saved.state == APPROVED or not any(m.to_state == APPROVED for m in moves):
            continue
        approval = next(m for m in reversed(moves) if m.to_state == APPROVED)
        saved.approved_snapshot = {
            "at": approval.at.isoformat(),
            "by": person_name(approval.by),
            "note": item.note,
            "value": None if item.value is None else str(item.value),
            "files": [
                {"id": f.pk, "name": f.original_name}
                for f in attached
                if f.uploaded_at <= approval.at
            ],
        }
        updated.append(saved)
    Evidence.objects.bulk_update(updated, ["approved_snapshot"])


def _build(commune, year, item: Planned, rng, *, staff, reviewer, files, now):
    """The evidence row, its transitions and its files, dated along the way."""
    criterion = item.criterion
    last_year = year >= DEMO_YEARS[-1]
    start = max(datetime.date(year, 3, 1), commune.model_launched_on or datetime.date(year, 3, 1))
    created = _at(_day(rng, start, max(start, datetime.date(year, 10, 31))), rng)

    def later(moment, low, high):
        return moment + datetime.timedelta(days=rng.randint(low, high), hours=rng.randint(0, 5))

    evidence = Evidence(commune=commune, criterion=criterion, year=year, note=item.note)
    evidence.value = item.value
    moves = [EvidenceTransition(to_state=DRAFT, by=staff, at=created)]

    def move(from_state, to_state, at, by, note=""):
        moves.append(
            EvidenceTransition(from_state=from_state, to_state=to_state, by=by, at=at, note=note)
        )

    story = item.story
    if story == SUBMITTED and last_year:
        # Waiting for review now: some for a day or two, some past the overdue mark.
        day = timezone.localdate(now) - datetime.timedelta(days=rng.randint(0, 10))
        submitted = min(_at(day, rng), now - datetime.timedelta(minutes=rng.randint(30, 300)))
        created = min(created, submitted - datetime.timedelta(days=rng.randint(2, 20)))
        moves[0].at = created
        move(DRAFT, SUBMITTED, submitted, staff)
        evidence.state, evidence.submitted_at, evidence.submitted_by = SUBMITTED, submitted, staff
    elif story in (APPROVED, REJECTED, RETURNED_THEN_APPROVED, UPDATED_AFTER_APPROVAL):
        submitted = later(created, 2, 30)
        move(DRAFT, SUBMITTED, submitted, staff)
        reviewed = later(submitted, 1, 9)
        if story == RETURNED_THEN_APPROVED:
            move(SUBMITTED, REJECTED, reviewed, reviewer, rng.choice(RETURN_NOTES[criterion.kind]))
            fixed = later(reviewed, 1, 6)
            move(REJECTED, DRAFT, fixed, staff)
            submitted = later(fixed, 0, 3)
            move(DRAFT, SUBMITTED, submitted, staff)
            reviewed = later(submitted, 1, 6)
        if story == REJECTED:
            note = rng.choice(RETURN_NOTES[criterion.kind])
            move(SUBMITTED, REJECTED, reviewed, reviewer, note)
            evidence.state, evidence.review_comment = REJECTED, note
        else:
            note = rng.choice(APPROVAL_NOTES)
            move(SUBMITTED, APPROVED, reviewed, reviewer, note)
            evidence.state, evidence.review_comment = APPROVED, note
        evidence.submitted_at, evidence.submitted_by = submitted, staff
        evidence.reviewed_at, evidence.reviewed_by = reviewed, reviewer
        if story == UPDATED_AFTER_APPROVAL:
            # Reopened this month with a new screenshot and sent again: in the review queue.
            reopened = _at(
                timezone.localdate(now) - datetime.timedelta(days=rng.randint(3, 5)), rng
            )
            move(APPROVED, DRAFT, reopened, staff)
            resubmitted = reopened + datetime.timedelta(days=1, hours=rng.randint(-2, 2))
            move(DRAFT, SUBMITTED, resubmitted, staff)
            evidence.state, evidence.submitted_at = SUBMITTED, resubmitted
            evidence.review_comment = ""
            evidence.note = (item.note + " Cập nhật ảnh chụp màn hình mới.").strip()
    else:  # a draft (or an item that would be waiting, in a past year: left as a draft)
        evidence.state = DRAFT

    attached = []
    if criterion.kind == CriterionKind.EVIDENCE:
        demo = files[criterion.code]
        if evidence.state != DRAFT or rng.random() < 0.5:
            attached.append(_attachment(demo, criterion, year, staff, created, "anh"))
        if story == UPDATED_AFTER_APPROVAL:
            attached.append(_attachment(demo, criterion, year, staff, moves[-2].at, "anh-cap-nhat"))
    elif criterion.kind == CriterionKind.MEASURED and (
        evidence.state != DRAFT or rng.random() < 0.3
    ):
        attached.append(_attachment(files["report"], criterion, year, staff, created, "bao-cao"))
    evidence.version = len(moves) + len(attached)
    return evidence, moves, attached


def _attachment(demo: DemoFile, criterion, year, staff, at, label) -> EvidenceFile:
    return EvidenceFile(
        file=demo.name,
        thumbnail=demo.thumbnail,
        original_name=f"{criterion.code.lower()}-{label}-{year}.{demo.extension}",
        content_type=demo.content_type,
        size=demo.size,
        uploaded_by=staff,
        uploaded_at=at,
    )

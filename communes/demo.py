"""Deterministic demo data of the communes app: the demo accounts and their scope."""

import hashlib

from django.contrib.auth import get_user_model

from communes.models import Commune, District, Province, Role, UserScope

DEMO_PASSWORD = "demo-pass-2023"  # noqa: S105 (documented in the README; DEBUG only)

# username, full name, role, unit code
DEMO_ACCOUNTS = [
    ("admin", "Quản trị hệ thống", Role.ADMIN, None),
    ("tinh", "Nguyễn Văn Tỉnh", Role.PROVINCE, "24"),
    ("huyen.lucnam", "Trần Thị Huyền", Role.DISTRICT, "218"),
    ("xa.doingo", "Lê Văn Đồi", Role.COMMUNE, "7444"),
    ("xa.leloi", "Phạm Thị Lợi", Role.COMMUNE, "7219"),
]


def seed_accounts():
    """Create or reset the demo accounts, each with its role and scope."""
    User = get_user_model()
    for username, full_name, role, unit_code in DEMO_ACCOUNTS:
        first, _, last = full_name.rpartition(" ")
        user, _created = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = last, first
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        unit = {
            Role.PROVINCE: ("province", Province),
            Role.DISTRICT: ("district", District),
            Role.COMMUNE: ("commune", Commune),
        }.get(role)
        scope_fields = {"role": role, "province": None, "district": None, "commune": None}
        if unit:
            field, model = unit
            scope_fields[field] = model.objects.get(code=unit_code)
        UserScope.objects.update_or_create(user=user, defaults=scope_fields)


# Lục Nam (the pilot district) and Bắc Giang city move first; the rest follow.
_EARLY_DISTRICTS = {"218", "213"}


def readiness_year(commune) -> int | None:
    """The first year the demo commune meets every rule (None: not even by 2025).

    Every app's demo seeder reads this so that evidence, surveys and committees tell
    one consistent story: about a third certified in 2023, more in 2024, most but not
    all in 2025, varying by district. Deterministic: a hash of the commune code.
    """
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


def seed():
    seed_accounts()

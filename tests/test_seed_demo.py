import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from communes.models import Role


@pytest.mark.django_db
def test_seed_demo_refuses_when_debug_is_off():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_creates_the_demo_accounts_with_their_scope_and_is_repeatable(rf):
    call_command("seed_demo")
    call_command("seed_demo")
    expected = {
        "admin": (Role.ADMIN, None),
        "tinh": (Role.PROVINCE, "24"),
        "huyen.lucnam": (Role.DISTRICT, "218"),
        "xa.doingo": (Role.COMMUNE, "7444"),
        "xa.leloi": (Role.COMMUNE, "7219"),
    }
    for username, (role, code) in expected.items():
        user = authenticate(rf.get("/"), username=username, password="demo-pass-2023")
        assert user is not None, username
        assert user.scope.role == role
        assert (user.scope.unit.code if user.scope.unit else None) == code
    assert authenticate(rf.get("/"), username="admin", password="demo-pass-2023").is_superuser


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_tells_2025_and_2026_on_their_own_units(rf, reorganized_units):
    import datetime

    from communes.models import Commune
    from targets.models import CertificationStatus, Status

    call_command("seed_demo")
    call_command("seed_demo")  # still repeatable with every period loaded
    statuses = CertificationStatus.objects
    assert [statuses.filter(year=y).count() for y in (2023, 2024, 2025, 2026)] == [
        209,
        209,
        192,
        99,
    ]
    today = Commune.objects.in_force(on=datetime.date(2026, 1, 1))
    bac_giang_area = today.filter(predecessor_links__predecessor__isnull=False).distinct()
    certified = statuses.filter(year=2026, status=Status.CERTIFIED)
    # About half of old Bắc Giang's area is certified; old Bắc Ninh's is starting.
    assert 20 <= certified.filter(commune__in=bac_giang_area).count() <= 38
    assert not certified.exclude(commune__in=bac_giang_area).exists()
    reviewer = authenticate(rf.get("/"), username="thamdinh.bacninh", password="demo-pass-2023")
    assert (reviewer.scope.role, reviewer.scope.province.name) == (
        Role.PROVINCE_REVIEWER,
        "Tỉnh Bắc Ninh",
    )
    # The accounts of the basis keep their units.
    doingo = authenticate(rf.get("/"), username="xa.doingo", password="demo-pass-2023")
    assert doingo.scope.commune.name == "Thị trấn Đồi Ngô"
    # The pilot flag stays with Đồi Ngô, not with Xã Lục Nam, which reuses its code.
    assert [c.name for c in Commune.objects.filter(code="7444", is_pilot=True)] == [
        "Thị trấn Đồi Ngô"
    ]

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

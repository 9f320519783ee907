"""Accounts people run themselves: the portal's own password pages, reset by e-mail, and
invitations sent by an administrator."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from communes.models import Role
from tests.conftest import DOI_NGO


@pytest.fixture
def clerk(make_user):
    return make_user(Role.COMMUNE, DOI_NGO, username="xa.quen", email="quen@example.org")


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_the_login_page_links_to_the_password_reset(client, db):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in html


def test_the_navigation_links_to_password_change_and_mail_choices(client_for, clerk):
    html = client_for(clerk).get("/work/").content.decode()
    assert f'href="{reverse("password_change")}"' in html
    assert f'href="{reverse("notification_preferences")}"' in html


def test_the_password_pages_are_the_portals_own_in_vietnamese(client_for, clerk, client):
    change = client_for(clerk).get(reverse("password_change")).content.decode()
    assert "Đổi mật khẩu" in change and "navbar" in change  # the portal's page, not admin's
    client.logout()
    reset = client.get(reverse("password_reset")).content.decode()
    assert "Quên mật khẩu" in reset and "navbar" in reset


def test_a_forgotten_password_is_reset_through_a_mailed_link(client, clerk):
    response = client.post(reverse("password_reset"), {"email": "QUEN@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["quen@example.org"]

    form = client.get(link_in(message), follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Mat-khau-moi-2025", "new_password2": "Mat-khau-moi-2025"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    assert get_user_model().objects.get(username="xa.quen").check_password("Mat-khau-moi-2025")
    # The link worked once.
    assert not client.get(link_in(message), follow=True).context["validlink"]


def test_an_unknown_address_is_answered_the_same_and_nothing_is_sent(client, db):
    response = client.post(reverse("password_reset"), {"email": "ai@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_signed_in_user_changes_their_password(client_for, clerk):
    client = client_for(clerk)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-123456!",
            "new_password1": "Mat-khau-moi-2025",
            "new_password2": "Mat-khau-moi-2025",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    clerk.refresh_from_db()
    assert clerk.check_password("Mat-khau-moi-2025")


def test_an_administrator_invites_users_by_email(client_for, admin_user, make_user):
    invited = make_user(Role.COMMUNE, DOI_NGO, username="xa.moi", email="moi@example.org")
    invited.set_unusable_password()
    invited.save()
    no_address = make_user(Role.COMMUNE, DOI_NGO, username="xa.khongthu")
    client = client_for(admin_user)

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "invite", "_selected_action": [invited.pk, no_address.pk]},
        follow=True,
    )

    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.to == ["moi@example.org"]
    assert "xa.moi" in message.body
    client.logout()
    form = client.get(link_in(message), follow=True)
    assert form.context["validlink"]
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Mat-khau-moi-2025", "new_password2": "Mat-khau-moi-2025"},
    )
    assert get_user_model().objects.get(pk=invited.pk).check_password("Mat-khau-moi-2025")


def test_the_demo_accounts_have_email_addresses(reorganized_units):
    # Every period loaded: the accounts of today's units (Tỉnh Bắc Ninh's wards) need them.
    from communes import demo

    demo.seed_accounts()
    users = get_user_model().objects.filter(username__in=[a[0] for a in demo.DEMO_ACCOUNTS])
    assert all(u.email.endswith("@example.org") for u in users)
    assert users.count() == len(demo.DEMO_ACCOUNTS)


def test_an_administrator_gives_a_new_user_an_email_address(client_for, admin_user):
    html = client_for(admin_user).get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="email"' in html


def test_one_address_gets_a_few_reset_mails_an_hour_then_the_same_page_and_no_mail(
    client, clerk, settings, make_user
):
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    for _ in range(4):
        response = client.post(reverse("password_reset"), {"email": "quen@example.org"})
        # Answered as an unknown address is: nothing tells a stranger it was limited.
        assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 2
    # Another user's address is counted on its own.
    other = make_user(Role.COMMUNE, DOI_NGO, username="xa.khac", email="khac@example.org")
    client.post(reverse("password_reset"), {"email": other.email})
    assert mail.outbox[-1].to == ["khac@example.org"]


def test_a_client_asking_too_often_is_told_to_try_later_and_nothing_is_sent(
    client, clerk, settings
):
    settings.PASSWORD_RESET_PER_CLIENT = 3
    for n in range(3):
        client.post(reverse("password_reset"), {"email": f"ai{n}@example.org"})
    response = client.post(reverse("password_reset"), {"email": "quen@example.org"})
    assert response.status_code == 429
    assert "thử lại sau một giờ" in response.content.decode()
    assert mail.outbox == []
    # Another client (the proxy's header names the address) is not held back.
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    response = client.post(
        reverse("password_reset"), {"email": "quen@example.org"}, HTTP_X_REAL_IP="203.0.113.9"
    )
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1


def test_with_the_cache_down_a_reset_mail_is_still_sent(client, clerk, settings):
    from tests.conftest_services import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "friendlygov.cache.OptionalRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        }
    }
    settings.PASSWORD_RESET_PER_ADDRESS = 0
    settings.PASSWORD_RESET_PER_CLIENT = 0
    response = client.post(reverse("password_reset"), {"email": "quen@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1

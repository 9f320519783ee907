from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("friendlygov.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_the_login_page_is_in_vietnamese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Tên đăng nhập" in html  # Django's own form labels, translated


@pytest.mark.django_db
def test_the_login_page_is_in_english_after_the_language_switch(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Đăng nhập" not in html


@pytest.mark.django_db
def test_demo_users_log_in_with_their_password_and_land_on_their_worklist(client, make_user):
    from communes.models import Role

    make_user(Role.COMMUNE, "7444", username="xa.login")
    response = client.post(
        reverse("login"), {"username": "xa.login", "password": "pw-123456!"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/work/"
    assert "Thị trấn Đồi Ngô" in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(client, make_user):
    from communes.models import Role

    make_user(Role.COMMUNE, "7444", username="xa.wrong")
    response = client.post(reverse("login"), {"username": "xa.wrong", "password": "nope"})
    assert response.status_code == 200
    assert (
        "Hãy nhập chính xác" in response.content.decode() or "Vui lòng" in response.content.decode()
    )


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_navigation_follows_the_role(client, province_official, commune_staff):
    client.force_login(province_official)
    html = client.get("/").content.decode()
    assert "Tổng quan" in html
    client.force_login(commune_staff)
    html = client.get("/communes/7444/").content.decode()
    assert 'href="/communes/7444/"' in html
    assert "Quản trị" not in html

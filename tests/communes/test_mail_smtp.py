"""Notification mail and the password-reset mail reach a real SMTP server (aiosmtpd,
started by the test on a free port), as they would reach the province's mail server."""

import email
import socket

import pytest
from django.urls import reverse

from communes import notifications
from communes.models import Notification, NotificationKind, Role
from tests.conftest import DOI_NGO, LUC_NAM, skip_or_fail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server; yields the messages it received (email.message.Message)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        skip_or_fail("aiosmtpd is not installed (pip install -e '.[dev]')")

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content)
            message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
            received.append(message)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield received
    finally:
        controller.stop()


def _body(message) -> str:
    part = message.get_payload(decode=True) if not message.is_multipart() else None
    if part is None:
        part = message.get_payload(0).get_payload(decode=True)
    return part.decode(message.get_content_charset() or "utf-8")


def test_pending_notifications_reach_the_smtp_server_one_mail_per_user(
    smtp_server, make_user, doi_ngo
):
    reviewer = make_user(Role.DISTRICT, LUC_NAM, email="huyen@example.org")
    staff = make_user(Role.COMMUNE, DOI_NGO, email="xa@example.org")
    for code in ("CSVC-01", "CSVC-02"):
        Notification.objects.create(
            user=reviewer,
            kind=NotificationKind.SUBMITTED,
            commune=doi_ngo,
            params={"commune": doi_ngo.name, "year": 2025, "criteria": [code]},
            url="/reviews/",
            email_pending=True,
        )
    Notification.objects.create(
        user=staff,
        kind=NotificationKind.RETURNED,
        commune=doi_ngo,
        params={"commune": doi_ngo.name, "year": 2025, "criteria": ["CSVC-03"], "note": "Mờ"},
        email_pending=True,
    )

    assert notifications.pending_send() == 2

    by_recipient = {m["X-Envelope-To"]: m for m in smtp_server}
    assert set(by_recipient) == {"huyen@example.org", "xa@example.org"}
    body = _body(by_recipient["huyen@example.org"])
    assert "CSVC-01" in body and "CSVC-02" in body
    assert "http://127.0.0.1:8000/reviews/" in body
    assert "Mờ" in _body(by_recipient["xa@example.org"])
    assert not Notification.objects.filter(email_pending=True).exists()


def test_the_password_reset_mail_reaches_the_smtp_server(smtp_server, client, make_user):
    make_user(Role.COMMUNE, DOI_NGO, username="xa.quen", email="quen@example.org")

    response = client.post(reverse("password_reset"), {"email": "quen@example.org"})

    assert response.status_code == 302
    (message,) = smtp_server
    assert message["X-Envelope-To"] == "quen@example.org"
    assert "/accounts/reset/" in _body(message)

"""Accounts people run themselves: an administrator invites a user by e-mail."""

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from communes.text import person_name


def set_password_url(user: User) -> str:
    """The absolute address at which ``user`` chooses a password (Django's reset link:
    it works once, and stops working when the password changes or after
    PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    base_url: str = settings.PORTAL_BASE_URL
    return base_url.rstrip("/") + path


def user_invite(*, user: User, by: User | None = None) -> bool:
    """Mail ``user`` an invitation with a link to set their password; False (nothing
    sent) when the account is inactive or has no e-mail address."""
    if not user.is_active or not user.email:
        return False
    body = render_to_string(
        "registration/invitation_email.txt",
        {
            "name": person_name(user),
            "username": user.get_username(),
            "url": set_password_url(user),
            "login_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("login"),
            "by": person_name(by) if by else "",
        },
    )
    send_mail(
        _("Mời tham gia Cổng theo dõi Chính quyền thân thiện"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )
    return True

"""Login throttling's view of a login attempt (django-axes, settings AXES_*), and the
limits of the password reset form."""

import logging
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from friendlygov.cache import CacheUnavailable
from friendlygov.cache import count as cache_count
from friendlygov.http import client_address

logger = logging.getLogger(__name__)

# django-axes keeps the username of each failed attempt in a 255-character column.
USERNAME_MAX = 255


def axes_username(request, credentials=None) -> str | None:
    """The username django-axes records and counts for an attempt, cut to its column.

    django-axes stores it whole, so a login with a longer username (a scanner's; real
    ones have at most 150 characters) failed with a database error on PostgreSQL
    instead of "wrong username or password" (jazzband/django-axes#1381; the pending fix
    upstream, #1480, cuts it the same way).
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username[:USERNAME_MAX] if isinstance(username, str) else username


# --- Password reset: how many mails an address, and requests a client, may ask for ------

# Within a window of an hour. An address gets at most this many reset mails (more are
# answered as an unknown address is: the same page, nothing sent, nothing revealed); a
# client (its address, as CLIENT_IP_HEADER names it) at most this many requests, then a
# "try again later" on the form itself.
RESET_WINDOW_SECONDS = 3600


def _hour() -> int:
    return int(time.time() // RESET_WINDOW_SECONDS)


def _count(kind: str, value: str) -> int:
    """Count one request of ``kind`` for ``value`` (kept only as a keyed hash) in this
    hour, in the shared cache. A cache that does not answer counts nothing: a reset is
    never refused because Redis is down."""
    digest = salted_hmac(f"friendlygov.login.{kind}", value).hexdigest()[:32]
    key = f"password-reset:{kind}:{digest}:{_hour()}"
    try:
        return cache_count(key, timeout=RESET_WINDOW_SECONDS + 60)
    except CacheUnavailable:
        logger.warning("Password reset throttle: the cache does not answer; not counted")
        return 0


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with the mails it sends limited: one person's inbox cannot be
    flooded through the form, nor the mail server used by a script."""

    def form_valid(self, form):
        client = client_address(self.request, settings.CLIENT_IP_HEADER)
        if _count("client", client) > settings.PASSWORD_RESET_PER_CLIENT:
            form.add_error(
                None,
                _(
                    "Đã có quá nhiều yêu cầu đặt lại mật khẩu từ máy này. "
                    "Vui lòng thử lại sau một giờ."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        address = form.cleaned_data["email"].strip().lower()
        if _count("address", address) > settings.PASSWORD_RESET_PER_ADDRESS:
            logger.warning("Password reset: too many mails asked for one address this hour")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)

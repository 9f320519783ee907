"""Settings of the surveys app, each with its default (override any in the settings module).

Read through functions, not at import time, so that ``override_settings`` works in tests.

- ``SURVEY_DELETE_WITHIN_DAYS`` (3): commune staff may delete a mistaken paper entry
  within this many days of typing it in.
- ``SURVEY_KIOSK_MAX_PER_MINUTE`` (10): answers one client (address) may send a minute.
- ``SURVEY_KIOSK_MIN_SECONDS`` (5): a form sent back faster than this is a bot's.
- ``SURVEY_KIOSK_FORM_MAX_AGE_HOURS`` (2): how long a kiosk form stays valid (a form left
  open longer is shown again with its answers and sent with one more tap).
- ``SURVEY_KIOSK_THANKS_SECONDS`` (6): the thank-you page returns to the form after this.
- ``SURVEY_CLIENT_IP_HEADER`` (None): the request.META key that holds the client's address
  behind the reverse proxy (``"HTTP_X_REAL_IP"``, or ``"HTTP_X_FORWARDED_FOR"`` whose last
  address is used); ``REMOTE_ADDR`` when None. Set it in production: behind a proxy every
  citizen would otherwise share the proxy's address, and so one throttle.
- ``SURVEY_PUBLIC_BASE_URL`` (None): the address printed in the QR poster, e.g.
  ``"https://thanthien.bacgiang.gov.vn"``; the address of the request when None.
- ``SURVEY_IMPORT_MAX_BYTES`` (30 MB) and ``SURVEY_IMPORT_MAX_ROWS`` (200,000): the
  largest import file accepted.
"""

from django.conf import settings


def _get(name, default):
    return getattr(settings, name, default)


def delete_within_days() -> int:
    return _get("SURVEY_DELETE_WITHIN_DAYS", 3)


def kiosk_max_per_minute() -> int:
    return _get("SURVEY_KIOSK_MAX_PER_MINUTE", 10)


def kiosk_min_seconds() -> int:
    return _get("SURVEY_KIOSK_MIN_SECONDS", 5)


def kiosk_form_max_age_seconds() -> int:
    return _get("SURVEY_KIOSK_FORM_MAX_AGE_HOURS", 2) * 3600


def kiosk_thanks_seconds() -> int:
    return _get("SURVEY_KIOSK_THANKS_SECONDS", 6)


def client_ip_header() -> str:
    return _get("SURVEY_CLIENT_IP_HEADER", None) or "REMOTE_ADDR"


def public_base_url() -> str | None:
    return _get("SURVEY_PUBLIC_BASE_URL", None)


def import_max_bytes() -> int:
    return _get("SURVEY_IMPORT_MAX_BYTES", 30 * 1024 * 1024)


def import_max_rows() -> int:
    return _get("SURVEY_IMPORT_MAX_ROWS", 200_000)

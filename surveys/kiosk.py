"""What keeps the public kiosk honest without a captcha service or personal data.

- Each form carries a signed stamp: the kiosk link, a one-time submission token and the
  time it was shown, signed with the link's current token (a form opened before the link
  was rotated is refused on the new link) and valid for a bounded time
  (SURVEY_KIOSK_FORM_MAX_AGE_HOURS). The submission token is stored unique with the
  response, so a double tap is counted once; a form sent back faster than a person can
  read it is a bot's.
- Each client (its address, hashed, never stored as it is) may send a few answers a
  minute, counted where every process sees the same count: in the cache when it is shared
  (CACHE_URL on Redis, as production must set), otherwise, and whenever that cache does not
  answer, in the database (``KioskThrottle``). The limit therefore holds across gunicorn
  workers whatever the settings, and a cache outage neither lets floods through (fail
  open) nor turns citizens away (fail closed): it only costs a database write.
"""

import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.utils.crypto import salted_hmac

from friendlygov.cache import CacheUnavailable
from friendlygov.cache import count as cache_count
from friendlygov.http import client_address
from surveys import conf

logger = logging.getLogger(__name__)

_SALT = "surveys.kiosk.stamp"
# How long a kiosk keeps unused forms for when its network drops (see static/js/kiosk_offline.js).
OFFLINE_STAMPS = 20
QUEUED_MAX_AGE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Stamp:
    link_id: int
    token: str
    shown_at: float

    def age(self) -> float:
        return time.time() - self.shown_at


class StampError(Exception):
    """The stamp is missing, forged, or for another link."""


class StampExpired(StampError):
    pass


def _salt(link) -> str:
    # The link's token is part of the signature: rotating the link voids its open forms.
    return f"{_SALT}:{link.token}"


def stamp_new(*, link) -> str:
    """A fresh signed stamp for a form of kiosk ``link``."""
    return signing.dumps(
        {"k": link.pk, "n": secrets.token_urlsafe(24), "t": time.time()}, salt=_salt(link)
    )


def stamp_read(value: str, *, link, queued: bool = False) -> Stamp:
    """``queued``: an answer the kiosk kept while its network was down, sent when it came
    back; its form may be older than a form answered online."""
    max_age = conf.kiosk_form_max_age_seconds()
    if queued:
        max_age = max(max_age, QUEUED_MAX_AGE_SECONDS)
    try:
        data = signing.loads(value, salt=_salt(link), max_age=max_age)
    except signing.SignatureExpired as exc:
        raise StampExpired from exc
    except signing.BadSignature as exc:
        raise StampError from exc
    if data.get("k") != link.pk:
        raise StampError
    return Stamp(link_id=data["k"], token=data["n"], shown_at=data["t"])


def _client_key(request) -> str:
    """A keyed hash of the client's address: enough to count, useless to identify anyone."""
    address = client_address(request, conf.client_ip_header())
    return salted_hmac("surveys.kiosk.client", address).hexdigest()[:32]


def cache_is_shared() -> bool:
    """True when every process sees the same cache (Redis, Memcached, the database)."""
    backend = settings.CACHES["default"]["BACKEND"]
    return backend.rsplit(".", 1)[-1] not in ("LocMemCache", "DummyCache")


def _minute() -> int:
    """The throttle's window: the current minute of the clock."""
    return int(time.time() // 60)


def throttle_hit(request) -> bool:
    """Count one answer from this client; True when it is over the limit for this minute."""
    window = _minute()
    client = _client_key(request)
    count = None
    if cache_is_shared():
        try:
            count = cache_count(f"surveys:kiosk:{client}:{window}", timeout=90)
        except CacheUnavailable:
            logger.warning("Kiosk throttle: the cache does not answer, counting in the database")
    if count is None:
        count = _count_in_database(client, window)
    return count > conf.kiosk_max_per_minute()


def _count_in_database(client: str, window: int) -> int:
    """One statement, atomic on SQLite and PostgreSQL: concurrent answers each get their
    own count."""
    from surveys.models import KioskThrottle

    table = connection.ops.quote_name(KioskThrottle._meta.db_table)
    # Only the table's own name is formatted in; the values are parameters.
    sql = (
        f"INSERT INTO {table} (client, minute, hits) VALUES (%s, %s, 1) "  # noqa: S608  # nosec B608
        f"ON CONFLICT (client, minute) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [client, window])
        hits = cursor.fetchone()[0]
    if hits == 1:  # a client's first answer of a minute: forget the minutes gone
        KioskThrottle.objects.filter(minute__lt=window - 1).delete()
    return hits


def offline_stamps(*, link) -> list[str]:
    """Spare one-time stamps the kiosk page keeps for answers taken while offline."""
    return [stamp_new(link=link) for _ in range(OFFLINE_STAMPS)]

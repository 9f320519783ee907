"""What keeps the public kiosk honest without a captcha service or personal data.

- Each form carries a signed stamp: the kiosk link, a one-time submission token and the
  time it was shown. The token is stored unique with the response, so a double tap is
  counted once; a form sent back faster than a person can read it is a bot's.
- Each client (its address, hashed, only in the cache, never in the database) may send a
  few answers a minute.
"""

import secrets
import time
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from surveys import conf

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


def stamp_new(*, link_id: int) -> str:
    """A fresh signed stamp for a form of kiosk link ``link_id``."""
    return signing.dumps(
        {"k": link_id, "n": secrets.token_urlsafe(24), "t": time.time()}, salt=_SALT
    )


def stamp_read(value: str, *, link_id: int, queued: bool = False) -> Stamp:
    """``queued``: an answer the kiosk kept while its network was down, sent when it came
    back; its form may be older than a form answered online."""
    max_age = conf.kiosk_form_max_age_seconds()
    if queued:
        max_age = max(max_age, QUEUED_MAX_AGE_SECONDS)
    try:
        data = signing.loads(value, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise StampExpired from exc
    except signing.BadSignature as exc:
        raise StampError from exc
    if data.get("k") != link_id:
        raise StampError
    return Stamp(link_id=data["k"], token=data["n"], shown_at=data["t"])


def _client_key(request) -> str:
    """A keyed hash of the client's address: enough to count, useless to identify anyone."""
    address = request.META.get(conf.client_ip_header(), "") or ""
    # In an X-Forwarded-For list the last address is the one our own proxy added; the
    # ones before it come from the client and could be anything.
    address = address.split(",")[-1].strip()
    return salted_hmac("surveys.kiosk.client", address).hexdigest()[:32]


def _minute() -> int:
    """The throttle's window: the current minute of the clock."""
    return int(time.time() // 60)


def throttle_hit(request) -> bool:
    """Count one answer from this client; True when it is over the limit for this minute."""
    window = _minute()
    key = f"surveys:kiosk:{_client_key(request)}:{window}"
    if cache.add(key, 1, timeout=90):
        return 1 > conf.kiosk_max_per_minute()
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    return count > conf.kiosk_max_per_minute()


def offline_stamps(*, link_id: int) -> list[str]:
    """Spare one-time stamps the kiosk page keeps for answers taken while offline."""
    return [stamp_new(link_id=link_id) for _ in range(OFFLINE_STAMPS)]

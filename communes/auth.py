"""A signed-in user and their scope, read from the shared cache instead of the database.

Every page of a signed-in user needs the user's row (is the session still theirs: the
password's hash; are they still active) and their scope (what they may see). Read from
PostgreSQL that is two round trips per request, more than a cached page costs. With a
cache that every process shares (``settings.SHARED_CACHE``: CACHE_URL=redis://...),
``CachedModelBackend`` keeps both as plain values (never pickled model instances) and
builds the user and its scope from them.

A stale scope is a security hole, so the cached entry of a user is invalidated by every
save or delete of the user (role and password changes, deactivation) and of its scope:
a generation number per user, moved when the change is made and again when its
transaction commits. An entry is used only when it carries the user's current
generation, so an entry written by a request that read the database before the commit
is never served after it. An entry lives at most ``USER_CACHE_SECONDS``: if the cache was
unreachable when a change was made (the change's invalidation was lost), the old entry
is gone by then. Without a shared cache (the per-process default of ``make run``) the
backend is Django's ModelBackend: one process cannot invalidate another's memory.
"""

import hashlib
from contextvars import ContextVar

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from communes.models import UserScope
from friendlygov.cache import stamp_current, stamp_move

USER_CACHE_SECONDS = 300
_SCOPE_FIELDS = ("id", "user_id", "role", "province_id", "district_id", "commune_id")


def enabled() -> bool:
    return bool(getattr(settings, "SHARED_CACHE", False))


def _generation_key(user_id) -> str:
    return f"auth:user-generation:{user_id}"


def _entry_key(user_id) -> str:
    return f"auth:user:{user_id}"


def _user_fields() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


def _entry(user, generation) -> dict:
    """What the cache keeps of ``user`` and its scope: builtins only."""
    try:
        scope = user.scope
    except UserScope.DoesNotExist:
        scope = None
    return {
        "generation": generation,
        "user": [getattr(user, name) for name in _user_fields()],
        "scope": None if scope is None else [getattr(scope, name) for name in _SCOPE_FIELDS],
    }


def _build(entry):
    User = get_user_model()
    user = User.from_db("default", _user_fields(), entry["user"])
    scope = None
    if entry["scope"] is not None:
        scope = UserScope.from_db("default", list(_SCOPE_FIELDS), entry["scope"])
        UserScope.user.field.set_cached_value(scope, user)  # type: ignore[attr-defined]
    # ``user.scope`` answers from here (None: the user has no scope) without a query.
    UserScope.user.field.remote_field.set_cached_value(user, scope)  # type: ignore[attr-defined]
    return user


def fingerprint(user) -> str:
    """A digest of everything the user's row and scope hold (what the cache keeps of
    them): a page kept whole for ``user`` is keyed by it, so that a change of the user's
    name, role, scope, staff flag or password makes their next page a new one."""
    values = _entry(user, None)
    digest = hashlib.blake2b(repr((values["user"], values["scope"])).encode(), digest_size=12)
    return digest.hexdigest()


def entry_keys(user_id) -> list[str]:
    """The cache keys ``cached_user`` reads for ``user_id``: a caller that read them
    (with ``cache.get_many``) with something else hands what it found to it."""
    return [_generation_key(user_id), _entry_key(user_id)]


def cached_user(user_id, found: dict | None = None):
    """The user ``user_id`` with its scope attached, from the cache when it holds their
    current entry, else from the database (one query, then cached). None if there is no
    such user. ``found``: what the cache answered for ``entry_keys(user_id)`` in this
    request, when already read."""
    generation_key, entry_key = _generation_key(user_id), _entry_key(user_id)
    if found is None:
        found = cache.get_many([generation_key, entry_key])
    generation, entry = found.get(generation_key), found.get(entry_key)
    if generation is not None and entry is not None and entry["generation"] == generation:
        return _build(entry)
    generation = stamp_current(generation_key, found, USER_CACHE_SECONDS * 2)
    # The generation is read before the row: a change committed after this read moves it.
    User = get_user_model()
    user = User._default_manager.select_related("scope").filter(pk=user_id).first()
    if user is None:
        return None
    if generation is not None:
        cache.set(entry_key, _entry(user, generation), USER_CACHE_SECONDS)
    return user


def forget_user(user_id) -> None:
    """Invalidate the cached entry of ``user_id``: now, and when the transaction commits
    (a request reading the old row before the commit cannot bring it back)."""
    if user_id is None:
        return
    stamp_move(_generation_key(user_id), USER_CACHE_SECONDS * 2)


def forget_user_of(sender, instance, **kwargs) -> None:
    """Signal receiver: a user or a scope was saved or deleted."""
    forget_user(instance.pk if isinstance(instance, get_user_model()) else instance.user_id)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend (the same login, the same checks of the session's password
    hash and of ``is_active``), reading the signed-in user and scope through the cache."""

    def get_user(self, user_id):
        if not enabled():
            return super().get_user(user_id)
        user = cached_user(user_id, _read_with_the_session(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None


# --- The session and the user in one round trip ---------------------------------------------
# A signed-in request reads its session, then the user the session names: two round trips
# to Redis. The user of a session key never changes (a login makes a new key, a logout
# deletes it), so a process that has seen a session's user reads that user's entry with
# the session next time, in one MGET (communes.sessions). What it read is a guess, used
# only if the session names that very user; everything else (the generation check, the
# password hash, ``is_active``) is as above.

# The user of each session key this process has signed in: a hint, never trusted.
_USERS_OF_SESSIONS: dict[str, object] = {}
_HINTS_KEPT = 10_000
# The session store of the request whose user is being read (set by the middleware).
_SESSION: ContextVar = ContextVar("signed_in_session", default=None)


def user_of_session(session_key: str | None):
    """The user this process last saw signed in with ``session_key`` (None: unknown)."""
    return _USERS_OF_SESSIONS.get(session_key) if session_key else None


def _remember(session_key: str | None, user_id) -> None:
    if not session_key:
        return
    if len(_USERS_OF_SESSIONS) >= _HINTS_KEPT:
        _USERS_OF_SESSIONS.clear()
    _USERS_OF_SESSIONS[session_key] = user_id


def _read_with_the_session(user_id) -> dict | None:
    """What the request's session store read for ``user_id``'s entry with the session
    (``communes.sessions.SessionStore.prefetched``), if it read it for that user."""
    prefetched = getattr(_SESSION.get(), "prefetched", None)
    if prefetched is None or str(prefetched[0]) != str(user_id):
        return None
    return prefetched[1]


def _signed_in_user(request):
    if not hasattr(request, "_cached_user"):
        session = request.session
        token = _SESSION.set(session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            _SESSION.reset(token)
        if enabled() and request._cached_user.is_authenticated:
            _remember(request.session.session_key, request._cached_user.pk)
    return request._cached_user


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, handing the user's cache entry read with the session to the backend."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))

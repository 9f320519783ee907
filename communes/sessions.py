"""Sessions kept in the shared cache and written through to the database (Django's
``cached_db``), read with the signed-in user's cache entry in one round trip.

``SESSION_ENGINE`` with a shared cache (settings.py). When this process has seen the
session's user before (``communes.auth.user_of_session``), ``load`` reads the session
and that user's entry and generation with one ``MGET`` and keeps them as ``prefetched``
for the authentication backend of the same request (``communes.auth``), which uses them
only if the session names that user. Otherwise, and when the session is not in the
cache, it is Django's ``cached_db``.

A view whose page is kept whole (the dashboards, targets.views.home) names the keys it
will read for the session's user before the session is loaded (``also``); they are read
in the same ``MGET``, and the view takes what was answered (``read_with_the_session``)
only for keys it names itself, so a warm page costs one round trip in all.
"""

import functools

from django.contrib.sessions.backends import cached_db

from communes import auth


class SessionStore(cached_db.SessionStore):
    # (the user id guessed, what the cache answered for its entry keys), or None.
    prefetched: tuple[object, dict] | None = None
    # Keys a view asks to read with the session (``read_with_the_session``), and what the
    # cache answered for them: (the keys, the answer), or None.
    also: tuple[str, ...] = ()
    also_read: tuple[tuple[str, ...], dict] | None = None

    def load(self):
        user_id = auth.user_of_session(self.session_key)
        if user_id is None:
            return super().load()
        key = self.cache_key
        found = self._cache.get_many([key, *auth.entry_keys(user_id), *self.also])
        self.prefetched = (user_id, found)
        if self.also:
            self.also_read = (self.also, found)
        data = found.get(key)
        # Not in the cache (expired, evicted): read from the database as cached_db does.
        return data if data is not None else super().load()


def read_with_the_session(session, keys: list[str]) -> dict | None:
    """What the cache answered for ``keys`` when ``session`` was loaded, if it read them
    all then (``SessionStore.also``); else None."""
    read = getattr(session, "also_read", None)
    if read is None or not set(keys) <= set(read[0]):
        return None
    return read[1]


def reading_with_the_session(keys_of):
    """A view decorator: ``keys_of(request, user_id, *args, **kwargs)`` names the cache
    keys the view will read for the user ``user_id`` (or None), and they are read with
    the session and that user's entry in one round trip, when this process has seen the
    session's user before (``communes.auth.user_of_session``). The view takes what was
    answered with ``read_with_the_session``. Put it outside the decorators that read the
    user (``login_required``): the session is loaded when the user is first read."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            session = getattr(request, "session", None)
            if isinstance(session, SessionStore) and session.also_read is None:
                user_id = auth.user_of_session(session.session_key)
                if user_id is not None:
                    keys = keys_of(request, user_id, *args, **kwargs)
                    if keys:
                        session.also = tuple(keys)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

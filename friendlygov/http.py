"""Typed requests for views: what a view behind ``login_required`` may assume."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has logged in (``login_required``, ``role_required``).

    Annotate such a view's ``request`` with it: ``request.user`` is then a user, not
    ``User | AnonymousUser``, for mypy (django-stubs).
    """

    user: User


def client_address(request: HttpRequest, header: str) -> str:
    """The client's address as the request's ``header`` (e.g. ``REMOTE_ADDR``, or the one
    the reverse proxy sets) gives it. In an X-Forwarded-For list the last address is the
    one our own proxy added; the ones before it come from the client and could be
    anything."""
    address = request.META.get(header, "") or ""
    return address.split(",")[-1].strip()

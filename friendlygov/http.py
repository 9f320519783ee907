"""Typed requests for views: what a view behind ``login_required`` may assume."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has logged in (``login_required``, ``role_required``).

    Annotate such a view's ``request`` with it: ``request.user`` is then a user, not
    ``User | AnonymousUser``, for mypy (django-stubs).
    """

    user: User

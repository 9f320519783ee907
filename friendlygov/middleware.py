"""Response headers that Django has no setting for."""

import re

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control

from friendlygov.views import bad_request_response


def permissions_policy(get_response):
    """Send ``Permissions-Policy`` built from ``settings.PERMISSIONS_POLICY``.

    ``{"camera": []}`` becomes ``camera=()`` (no origin may use it); ``["self"]`` becomes
    ``camera=(self)``.
    """
    header = ", ".join(
        f"{feature}=({' '.join(origins)})"
        for feature, origins in getattr(settings, "PERMISSIONS_POLICY", {}).items()
    )

    def middleware(request):
        response = get_response(request)
        if header:
            response.headers.setdefault("Permissions-Policy", header)
        return response

    return middleware


_INVALID = re.compile("[\x00\ud800-\udfff]")


class RefuseInvalidCharacters:
    """Answer 400 at the edge to a path, query parameter or form field holding NUL (which
    PostgreSQL can neither store nor compare) or a lone surrogate, before any view hands
    it to the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _INVALID.search(request.path) or any(
            _INVALID.search(text) for key, values in request.GET.lists() for text in (key, *values)
        ):
            return bad_request_response(request, reason="invalid_character")
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method != "POST" or request.content_type not in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            return None
        if any(
            _INVALID.search(text) for key, values in request.POST.lists() for text in (key, *values)
        ):
            return bad_request_response(request, reason="invalid_character")
        return None


def private_pages(get_response):
    """A signed-in user's pages are theirs: ``Cache-Control: private, no-store`` keeps them
    out of shared caches and out of the browser's disk cache on a shared computer."""

    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware

"""Response headers that Django has no setting for."""

from django.conf import settings


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

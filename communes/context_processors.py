from django.utils.functional import SimpleLazyObject

from communes.models import scope_of


def scope(request):
    """Expose the caller's scope to templates, for navigation by role, and the counts the
    navigation shows (read once, on first use)."""
    from communes.selectors import nav_counts

    user = getattr(request, "user", None)
    return {
        "user_scope": scope_of(user),
        "nav_counts": SimpleLazyObject(lambda: nav_counts(user)),
    }

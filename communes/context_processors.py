from django.utils.functional import SimpleLazyObject

from communes.models import scope_of
from communes.selectors import current_programme_year


def scope(request):
    """Expose the caller's scope to templates, for navigation by role, the counts the
    navigation shows (read once, on first use), and the current programme year (the one
    the dashboards show), read only if a template uses it."""
    from communes.selectors import nav_counts

    user = getattr(request, "user", None)
    return {
        "user_scope": scope_of(user),
        "nav_counts": SimpleLazyObject(lambda: nav_counts(user)),
        "programme_year": current_programme_year,
    }

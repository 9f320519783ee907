from communes.models import scope_of
from communes.selectors import current_programme_year


def scope(request):
    """Expose the caller's scope to templates, for navigation by role, and the current
    programme year (the one the dashboards show), read only if a template uses it."""
    return {
        "user_scope": scope_of(getattr(request, "user", None)),
        "programme_year": current_programme_year,
    }

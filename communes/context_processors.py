from communes.models import scope_of


def scope(request):
    """Expose the caller's scope to templates, for navigation by role."""
    return {"user_scope": scope_of(getattr(request, "user", None))}

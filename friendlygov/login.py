"""Login throttling's view of a login attempt (django-axes, settings AXES_*)."""

# django-axes keeps the username of each failed attempt in a 255-character column.
USERNAME_MAX = 255


def axes_username(request, credentials=None) -> str | None:
    """The username django-axes records and counts for an attempt, cut to its column.

    django-axes stores it whole, so a login with a longer username (a scanner's; real
    ones have at most 150 characters) failed with a database error on PostgreSQL
    instead of "wrong username or password" (jazzband/django-axes#1381; the pending fix
    upstream, #1480, cuts it the same way).
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username[:USERNAME_MAX] if isinstance(username, str) else username

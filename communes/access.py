"""The one place views get units and check roles; everything out of scope is refused here.

Every view loads the unit it works on through these helpers (healthchecks'
``_get_check_for_user``): an unknown code is a 404, a known unit outside the caller's
scope is a 403, never data.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from communes.models import Commune, District, Role, scope_of


def has_role(user, *roles) -> bool:
    scope = scope_of(user)
    return scope is not None and (scope.sees_everything or scope.role in roles)


def require_role(user, *roles) -> None:
    """Raise 403 unless ``user`` has one of ``roles`` (admins pass every check)."""
    if not has_role(user, *roles):
        raise PermissionDenied


def role_required(*roles):
    """Decorate a view: anonymous users go to login, users of another role get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_commune_for_user(user, code, queryset=None) -> Commune:
    """The commune ``code`` if ``user`` may see it: 404 if unknown, 403 if out of scope."""
    queryset = queryset if queryset is not None else Commune.objects.select_related("district")
    commune = get_object_or_404(queryset, code=code)
    if not Commune.objects.visible_to(user).filter(pk=commune.pk).exists():
        raise PermissionDenied
    return commune


def get_district_for_user(user, code, queryset=None) -> District:
    """The district ``code`` if ``user`` may see all of it: 404 if unknown, 403 otherwise.

    A commune's staff see their own commune, not their whole district.
    """
    queryset = queryset if queryset is not None else District.objects.select_related("province")
    district = get_object_or_404(queryset, code=code)
    scope = scope_of(user)
    if scope is None or scope.role == Role.COMMUNE:
        raise PermissionDenied
    if not District.objects.visible_to(user).filter(pk=district.pk).exists():
        raise PermissionDenied
    return district


def get_commune_for_editor(user, code) -> Commune:
    """The commune ``code`` if ``user`` may change its checklist and committee.

    Its own commune staff (and admins) may; its district and the province only look.
    """
    commune = get_commune_for_user(user, code)
    require_role(user, Role.COMMUNE)
    return commune


def get_commune_for_reviewer(user, code) -> Commune:
    """The commune ``code`` if ``user`` reviews its evidence (``communes_reviewed_by``)."""
    commune = get_commune_for_user(user, code)
    if not communes_reviewed_by(user).filter(pk=commune.pk).exists():
        raise PermissionDenied
    return commune


def get_district_for_editor(user, code) -> District:
    """The district ``code`` if ``user`` keeps its committee: its own officials, admins."""
    district = get_district_for_user(user, code)
    require_role(user, Role.DISTRICT)
    return district


def get_evidence_file_for_user(user, pk):
    """An evidence file whose commune ``user`` may see: 404 if unknown, 403 otherwise."""
    from communes.models import EvidenceFile

    evidence_file = get_object_or_404(
        EvidenceFile.objects.select_related("evidence__commune", "evidence__criterion"), pk=pk
    )
    if not Commune.objects.visible_to(user).filter(pk=evidence_file.evidence.commune_id).exists():
        raise PermissionDenied
    return evidence_file


# --- Who reviews what ---------------------------------------------------------------------
# The one place that says who reviews a commune's evidence and which communes a user may
# review: the review queue, the worklist, the notifications and the digest all ask here.


def reviewers_of(commune):
    """The active users who review ``commune``'s evidence: its district's officials.

    Admins may review everything but are not told about every submission.
    """
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, scope__role=Role.DISTRICT, scope__district_id=commune.district_id
    )


def communes_reviewed_by(user):
    """The communes whose evidence ``user`` reviews (none unless the user reviews)."""
    if not has_role(user, Role.DISTRICT):
        return Commune.objects.none()
    return Commune.objects.visible_to(user)


def staff_of(commune_ids):
    """The active commune staff of the communes ``commune_ids``: who hears of their returns,
    approvals and status changes."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, scope__role=Role.COMMUNE, scope__commune_id__in=commune_ids
    )

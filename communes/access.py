"""The one place views get units and check roles; everything out of scope is refused here.

Every view loads the unit it works on through these helpers (healthchecks'
``_get_check_for_user``): an unknown code is a 404, a known unit outside the caller's
scope is a 403, never data.
"""

import datetime
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

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


def _start(unit):
    return unit.valid_from or datetime.date.min


def resolve_unit(units, on: datetime.date):
    """Of ``units`` sharing a code, the one a page dated ``on`` means: the one in force on
    ``on``; else the last one that ended before it (shown read-only, with its successors);
    else the first one after it. None if there is none."""
    units = sorted(units, key=_start)
    for unit in units:
        if unit.is_in_force(on):
            return unit
    earlier = [u for u in units if _start(u) <= on]
    if earlier:
        return earlier[-1]
    return units[0] if units else None


def get_commune_for_user(
    user, code, queryset=None, *, on: datetime.date | None = None, strict: bool = False
) -> Commune:
    """The commune ``code`` as of the date ``on`` (today by default), if ``user`` may see
    it: 404 if unknown, 403 if out of scope.

    Codes are reused, so ``code`` names the unit in force on ``on``; when the caller may
    not see that one but may see another unit that had the code (a district official of
    a dissolved district, a commune's staff after a merger), that one is given, read-only
    on its pages (``commune.is_in_force``), so that old links keep working. A unit no
    longer in force is also readable by whoever's scope holds one of its successors
    (``history_of_scope``): its history, never written to. ``strict`` (pages of one
    year): a unit not in force on ``on`` is a 404.
    """
    queryset = (
        queryset if queryset is not None else Commune.objects.select_related("district", "province")
    )
    on = on or timezone.localdate()
    units = list(queryset.filter(code=code))
    commune = resolve_unit(units, on)
    if commune is None:
        raise Http404
    readable = readable_units(user, [commune] if len(units) == 1 else units)
    if commune.pk in readable:
        own = commune
    else:
        own = resolve_unit([u for u in units if u.pk in readable], on)
        if own is None:
            raise PermissionDenied
    if strict and not own.is_in_force(on):
        raise Http404
    return own


def readable_units(user, units) -> set[int]:
    """Of ``units``, the pks of those ``user`` may read: those in scope, and the history
    of the scope (``history_of_scope``)."""
    visible = set(
        Commune.objects.visible_to(user)
        .filter(pk__in=[u.pk for u in units])
        .values_list("pk", flat=True)
    )
    rest = [u for u in units if u.pk not in visible]
    return visible | history_of_scope(user, rest) if rest else visible


# Reorganizations a unit's history is followed through (2025 had two; more is a loop).
_LINEAGE_DEPTH = 8


def history_of_scope(user, units) -> set[int]:
    """Of ``units``, the pks of those no longer in force that became (whole or in part,
    through one reorganization or several) a unit in ``user``'s scope: the history of
    the user's own unit, which it reads but never changes.

    The staff of a merged commune whose scope moved to its successor keep their old
    unit's pages; a reviewer limited to some communes opens the evidence of their
    predecessors that a checklist offers to carry over; nothing else outside the scope.
    Units still in force are never reached this way (they have their own staff).
    """
    from communes.models import CommuneLink

    today = timezone.localdate()
    origins = {u.pk for u in units if not u.is_in_force(today)}
    if not origins or scope_of(user) is None:
        return set()
    successors: dict[int, set[int]] = {}
    frontier, seen = set(origins), set(origins)
    for _level in range(_LINEAGE_DEPTH):
        links = (
            CommuneLink.objects.filter(predecessor_id__in=frontier, successor__isnull=False)
            .exclude(successor_id=F("predecessor_id"))
            .values_list("predecessor_id", "successor_id")
        )
        frontier = set()
        for predecessor_id, successor_id in links:
            successors.setdefault(predecessor_id, set()).add(successor_id)
            if successor_id not in seen:
                seen.add(successor_id)
                frontier.add(successor_id)
        if not frontier:
            break
    reached = seen - origins
    if not reached:
        return set()
    in_scope = set(
        Commune.objects.visible_to(user).filter(pk__in=reached).values_list("pk", flat=True)
    )
    readable = set()
    for origin in origins:
        todo, done = [origin], set()
        while todo:
            pk = todo.pop()
            if pk in done:
                continue
            done.add(pk)
            if pk != origin and pk in in_scope:
                readable.add(origin)
                break
            todo.extend(successors.get(pk, ()))
    return readable


def get_district_for_user(
    user, code, queryset=None, *, on: datetime.date | None = None
) -> District:
    """The district ``code`` if ``user`` may see all of it: 404 if unknown, 403 otherwise.

    A commune's staff see their own commune, not their whole district.
    """
    queryset = queryset if queryset is not None else District.objects.select_related("province")
    district = resolve_unit(list(queryset.filter(code=code)), on or timezone.localdate())
    if district is None:
        raise Http404
    scope = scope_of(user)
    if scope is None or scope.role == Role.COMMUNE:
        raise PermissionDenied
    if not District.objects.visible_to(user).filter(pk=district.pk).exists():
        raise PermissionDenied
    return district


def require_unit_in_force(unit) -> None:
    """403 unless ``unit`` is in force today: a dissolved unit's data is history, read-only
    (for its own staff and officials too)."""
    if unit is not None and not unit.is_in_force(timezone.localdate()):
        raise PermissionDenied


def get_commune_for_editor(user, code, *, on: datetime.date | None = None) -> Commune:
    """The commune ``code`` if ``user`` may change its checklist and committee.

    Its own commune staff (and admins) may, while the commune is in force; its reviewers
    and the province only look.
    """
    commune = get_commune_for_user(user, code, on=on, strict=on is not None)
    require_role(user, Role.COMMUNE)
    require_unit_in_force(commune)
    return commune


REVIEWER_ROLES = (Role.DISTRICT, Role.PROVINCE_REVIEWER)


def get_commune_for_reviewer(user, code, *, on: datetime.date | None = None) -> Commune:
    """The commune ``code`` (as of ``on``) if ``user`` reviews its evidence
    (``communes_reviewed_by``): its district's officials while there are districts, the
    province's reviewers where there are none, admins. A dissolved unit is only read."""
    commune = get_commune_for_user(user, code, on=on, strict=on is not None)
    if not communes_reviewed_by(user).filter(pk=commune.pk).exists():
        raise PermissionDenied
    return commune


def get_district_for_editor(user, code) -> District:
    """The district ``code`` if ``user`` keeps its committee: its own officials, admins,
    while the district is in force."""
    district = get_district_for_user(user, code)
    require_role(user, Role.DISTRICT)
    require_unit_in_force(district)
    return district


def get_evidence_file_for_user(user, pk):
    """An evidence file whose commune ``user`` may read (its scope, or the history of its
    scope): 404 if unknown, 403 otherwise. Changing it asks ``get_commune_for_editor``."""
    from communes.models import EvidenceFile

    evidence_file = get_object_or_404(
        EvidenceFile.objects.select_related("evidence__commune", "evidence__criterion"), pk=pk
    )
    if not readable_units(user, [evidence_file.evidence.commune]):
        raise PermissionDenied
    return evidence_file


# --- Who reviews what ---------------------------------------------------------------------
# The one place that says who reviews a commune's evidence and which communes a user may
# review: the review queue, the worklist, the notifications and the digest all ask here.


def reviewers_of(commune):
    """The active users who review ``commune``'s evidence: its district's officials while it
    has a district; where there is none (from 1/7/2025), its province's reviewers (those
    limited to some communes only for theirs).

    Admins may review everything but are not told about every submission.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    users = get_user_model().objects.filter(is_active=True)
    if commune.district_id is not None:
        return users.filter(scope__role=Role.DISTRICT, scope__district_id=commune.district_id)
    return users.filter(
        Q(scope__limited_to=None) | Q(scope__limited_to=commune),
        scope__role=Role.PROVINCE_REVIEWER,
        scope__province_id=commune.province_id,
    ).distinct()


def communes_reviewed_by(user):
    """The communes whose evidence ``user`` reviews (none unless the user reviews): of its
    scope, those in force today; a dissolved district's officials review none (they read
    its history)."""
    if not has_role(user, *REVIEWER_ROLES):
        return Commune.objects.none()
    today = timezone.localdate()
    district = getattr(scope_of(user), "district", None)
    if district is not None and not district.is_in_force(today):
        return Commune.objects.none()
    return Commune.objects.visible_to(user).in_force(on=today)


def staff_of(commune_ids):
    """The active commune staff of the communes ``commune_ids``: who hears of their returns,
    approvals and status changes."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True, scope__role=Role.COMMUNE, scope__commune_id__in=commune_ids
    )

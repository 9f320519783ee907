"""Steering committees (Ban Chỉ đạo) and the commune's model launch date."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction

from communes.hooks import recompute_later
from communes.models import (
    CommitteeMember,
    Commune,
    District,
    Level,
    Province,
    SteeringCommittee,
)

_LEVELS = {Province: Level.PROVINCE, District: Level.DISTRICT, Commune: Level.COMMUNE}


def committee_save(
    *,
    unit: Commune | District | Province,
    by: User,
    decision_number: str,
    established_on: datetime.date,
    note: str = "",
) -> SteeringCommittee:
    """Create the committee of ``unit`` or update the one in force (the newest)."""
    with transaction.atomic():
        committee: SteeringCommittee | None = (
            SteeringCommittee.objects.of_unit(unit).select_for_update().first()
        )
        if committee is None:
            level = _LEVELS[type(unit)]
            committee = SteeringCommittee(level=level, **{level: unit})
        committee.decision_number = decision_number.strip()
        committee.established_on = established_on
        committee.note = note.strip()
        committee._history_user = by  # type: ignore[attr-defined]
        committee.save()
        _commune_changed(unit)
    return committee


def commune_launch_set(*, commune: Commune, by: User, launched_on: datetime.date | None) -> Commune:
    """Record the day the commune launched the model (None: not launched yet)."""
    with transaction.atomic():
        commune.model_launched_on = launched_on
        commune._history_user = by  # type: ignore[attr-defined]
        commune.save()
        _commune_changed(commune)
    return commune


def committee_member_save(
    *,
    committee: SteeringCommittee,
    by: User,
    member: CommitteeMember | None = None,
    full_name: str,
    position: str,
    organisation: str,
    role: str,
    order: int = 0,
) -> CommitteeMember:
    """Add a member to ``committee``, or update ``member``."""
    with transaction.atomic():
        member = member or CommitteeMember(committee=committee)
        if member.committee_id != committee.pk:
            raise ValueError("the member belongs to another committee")
        member.full_name = full_name.strip()
        member.position = position.strip()
        member.organisation = organisation.strip()
        member.role = role
        member.order = order
        member._history_user = by  # type: ignore[attr-defined]
        member.save()
    return member


def committee_member_delete(*, member: CommitteeMember, by: User) -> None:
    member._history_user = by  # type: ignore[attr-defined]
    member.delete()


def _commune_changed(unit: Commune | District | Province) -> None:
    # A commune's committee and launch date are the first rule of certification.
    if isinstance(unit, Commune):
        recompute_later(commune_id=unit.pk, year=None)

"""Writes of the targets app: recomputing certification statuses."""

from django.db import transaction


def recompute_later(*, commune_id: int, year: int | None = None) -> None:
    """Queue a recompute of one commune's status once the current transaction commits.

    Evidence reviews and survey changes call this; ``year`` None means every year.
    """
    from targets.tasks import recompute_commune

    transaction.on_commit(lambda: recompute_commune.delay(commune_id, year))

"""The outbox of the recompute: requests recorded in the caller's transaction, tasks queued
after its commit.

``recompute_later`` and ``recompute_later_many`` are what ``communes.hooks`` calls when a
commune's facts change (connected in ``TargetsConfig.ready``); ``recompute_all_start`` is
the dashboards' "recompute now". A broker that is down never breaks the change that asked:
the ``PendingRecompute`` row stays, and the drain task (every 5 minutes) or the nightly
recompute runs it. Here, not in ``targets.services``, so that the tasks (which call the
services) and the services do not import each other.
"""

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from friendlygov import bulk
from targets import caching, services
from targets.models import PendingRecompute, RecomputeRun
from targets.tasks import prerender_communes, recompute_all, recompute_commune, recompute_pending

logger = logging.getLogger(__name__)

# A dashboard's "recompute now" pressed again while a run is on its way returns that
# run, unless it has been stuck longer than this (a worker died without a retry).
_ACTIVE_RUN_WINDOW = datetime.timedelta(minutes=15)


def recompute_later(*, commune_id: int, year: int | None = None) -> None:
    """Queue a recompute of one commune's status once the current transaction commits.

    Evidence reviews and survey changes call this; ``year`` None means every year.
    The request is first recorded as a ``PendingRecompute`` row in the caller's
    transaction; the task clears it. A broker that is down does not break the change
    that asked for it (it is logged) and the request is not lost: the drain task or the
    nightly recompute runs it.
    """
    now = timezone.now()
    with transaction.atomic():
        pending, created = PendingRecompute.objects.select_for_update().get_or_create(
            commune_id=commune_id, defaults={"year": year, "requested_at": now}
        )
        if not created:
            pending.year = year if pending.year == year else None
            pending.requested_at = now
            pending.save(update_fields=["year", "requested_at"])

    def queue() -> None:
        try:
            recompute_commune.delay(commune_id, year)
        except BrokerError:
            logger.exception("Could not queue the recompute of commune %s", commune_id)

    transaction.on_commit(queue, robust=True)


def recompute_later_many(*, requests: Iterable[tuple[int, int | None]]) -> None:
    """``recompute_later`` for many communes at once: a survey import touches thousands.

    ``requests`` are (commune id, year or None) pairs. Their ``PendingRecompute`` rows are
    written in a few statements of the caller's transaction, merged with the requests
    already pending as ``recompute_later`` merges them, and one task recomputes them all,
    set-based, once the transaction commits (the drain of pending requests).
    """
    wanted: dict[int, int | None] = {}
    for commune_id, year in requests:
        wanted[commune_id] = year if wanted.get(commune_id, year) == year else None
    if not wanted:
        return
    now = timezone.now()
    with transaction.atomic():
        bulk.bulk_upsert(
            PendingRecompute,
            # Plain rows (commune, year, requested_at): a national file names ~10,000
            # communes, and as many model instances cost more than the statement.
            [(commune_id, year, now) for commune_id, year in wanted.items()],
            unique_fields=["commune"],
            update_fields=["year", "requested_at"],
            null_unless_equal=["year"],
        )

    def queue() -> None:
        try:
            recompute_pending.delay()
        except BrokerError:
            logger.exception("Could not queue the recompute of %s communes", len(wanted))

    transaction.on_commit(queue, robust=True)


def recompute_after_surveys(
    *,
    pairs: Iterable[tuple[int, int]],
    added: Mapping[tuple[int, int], tuple[int, int]] | None = None,
    read_ahead: services.SurveysRead | None = None,
    first: Callable[[], None] | None = None,
) -> None:
    """Recompute now, in the caller's transaction, the statuses of the (commune id, year)
    ``pairs`` whose survey counts alone changed (``services.statuses_after_surveys``, which
    says what ``added``, ``read_ahead`` and ``first`` are): the importer's, so that its
    figures are current when it commits. After the commit, the dashboards and public pages
    of their provinces are rendered into the cache (one task per year), as after a
    recompute by a task; a broker that is down only leaves them to their first reader."""
    pairs = list(pairs)
    services.statuses_after_surveys(pairs=pairs, added=added, read_ahead=read_ahead, first=first)
    by_year: dict[int, set[int]] = {}
    for commune_id, year in pairs:
        by_year.setdefault(year, set()).add(commune_id)

    def queue() -> None:
        for year, commune_ids in sorted(by_year.items()):
            try:
                prerender_communes.delay(year, sorted(commune_ids))
            except BrokerError:
                logger.exception("Could not queue the rendering of the dashboards of %s", year)

    if by_year:
        transaction.on_commit(queue, robust=True)


def statuses_read_ahead(*, pairs: Iterable[tuple[int, int]]) -> services.SurveysRead | None:
    """Begin reading what ``recompute_after_surveys`` will compose for ``pairs``
    (``services.statuses_read_ahead``)."""
    return services.statuses_read_ahead(pairs=pairs)


def recompute_all_start(
    *,
    by: User | AnonymousUser | None,
    year: int | None = None,
    trigger: str = RecomputeRun.Trigger.DASHBOARD,
) -> RecomputeRun:
    """Queue a recompute of every commune (every year, or only ``year``); return its run.

    The caller polls the run (``api_recompute_run``) for its state and progress. If a
    run of the same scope is already queued or running, that run is returned rather
    than a second one started. Without a broker the task runs in-process, after the
    commit, so the run returned is already finished.
    """
    with transaction.atomic():
        active = RecomputeRun.objects.filter(
            commune=None,
            year=year,
            state__in=[RecomputeRun.State.QUEUED, RecomputeRun.State.RUNNING],
            queued_at__gte=timezone.now() - _ACTIVE_RUN_WINDOW,
        ).first()
        if active is not None:
            return active
        run = RecomputeRun.objects.create(
            year=year, trigger=trigger, requested_by=by if by and by.is_authenticated else None
        )
        transaction.on_commit(lambda: _queue_run(run.pk))
    run.refresh_from_db()
    return run


def _queue_run(run_id: int) -> None:
    try:
        recompute_all.delay(run_id=run_id)
    except BrokerError as exc:
        logger.exception("Could not queue recompute run %s", run_id)
        RecomputeRun.objects.filter(pk=run_id).update(
            state=RecomputeRun.State.FAILED,
            error=f"broker unavailable: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        caching.runs_changed()

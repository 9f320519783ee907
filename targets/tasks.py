"""Celery tasks: thin adapters that take ids, call a service and retry on transient errors.

Both tasks are safe to run twice (the recompute is idempotent) and acknowledged late,
so a worker that dies mid-run leaves the message for another worker. Their periodic
schedules are declared in ``friendlygov/schedules.py`` and edited in the admin
(django-celery-beat).
"""

from celery import shared_task

from targets import dashboards, services, views
from targets.models import RecomputeRun

RETRY_POLICY = {
    "autoretry_for": services.TRANSIENT_DB_ERRORS,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s, ... each with random jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
}


@shared_task(**RETRY_POLICY)
def recompute_commune(commune_id: int, year: int | None = None):
    """Recompute one commune's status for ``year`` (None: every year); queued after changes;
    then render its province's dashboard of those years into the cache."""
    services.commune_recompute(commune_id=commune_id, year=year)
    _prerender_communes(year, [commune_id], national=False)


@shared_task(**RETRY_POLICY)
def recompute_pending():
    """Recompute the communes whose queued recompute was lost (every few minutes, by beat),
    and the communes of a survey import; render the dashboards they changed."""
    return services.pending_recomputes_drain(prerender=_prerender_communes)


@shared_task(**RETRY_POLICY)
def prerender_communes(year: int, commune_ids: list[int]):
    """Render into the cache the dashboards and public pages of ``year`` that a recompute
    of ``commune_ids`` in a writer's own transaction (a survey import) changed."""
    _prerender_communes(year, commune_ids)


@shared_task(bind=True, **RETRY_POLICY)
def recompute_all(self, run_id: int | None = None, year: int | None = None):
    """Recompute every commune: the run ``run_id``, or a new run (the nightly schedule)."""
    if run_id is None:
        run_id = services.recompute_run_create(trigger=RecomputeRun.Trigger.NIGHTLY, year=year).pk
        # A retry re-sends the task with the request's arguments: make it continue this
        # run rather than record another one.
        self.request.args, self.request.kwargs = (), {"run_id": run_id}
    services.recompute_run_execute(
        run_id=run_id,
        will_retry=self.request.retries < self.max_retries,
        prerender=_prerender_year,
    )


def _prerender_year(year: int) -> None:
    """Render into the cache what a run of ``year`` changed: every dashboard and every
    public page of the year."""
    dashboards.prerender(year=year)
    views.prerender_public(year=year)


def _prerender_communes(year: int | None, commune_ids: list[int], *, national: bool = True):
    """Render into the cache the dashboards and public pages a recompute of
    ``commune_ids`` changed: their provinces' of ``year`` (None: every year), and the
    national ones unless ``national`` is False (one commune's change, many times a day:
    the national pages are rendered by their first reader, or by the next run)."""
    years = [year] if year is not None else services.recompute_years()
    provinces = dashboards.provinces_of(commune_ids)
    for each_year in years:
        dashboards.prerender(year=each_year, province_ids=provinces, national=national)
        views.prerender_public(year=each_year, province_ids=provinces, national=national)


@shared_task(**RETRY_POLICY)
def build_report(run_id: int):
    """Build a meeting report (targets.reports) with its progress recorded on the run."""
    from targets import reports

    reports.report_run_execute(run_id=run_id)

"""Celery tasks: thin adapters that take ids and call services."""

from celery import shared_task


@shared_task
def recompute_commune(commune_id: int, year: int | None = None):
    from targets import services

    return services.statuses_recompute(commune_ids=[commune_id], year=year)

"""The roll-up of survey responses per commune and month (``SurveyMonth``), kept exact.

Statuses, the recompute and every survey figure read the roll-up, never the raw rows: a
country's year is ~130,000 roll-up rows for millions of responses. Every path that
writes or deletes responses adds its own counts here, in its own transaction:

- a kiosk or paper answer (``services.survey_response_create``): +1;
- a deletion (a mistaken paper entry, the admin's deletes, the undo of an import):
  ``months_remove`` of the rows, before they are deleted;
- an import (``importing``): the counts of the rows written, minus the rows already in
  that it takes out, minus the earlier rows a replace deletes, in one upsert.

A commune that is deleted takes its responses and its roll-up with it (both CASCADE).
``months_rebuild`` counts again from the raw rows (the demo, the scale data, a repair).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear

from friendlygov import bulk
from surveys.models import SurveyMonth, SurveyResponse

# (commune id, year, month) -> [responses, satisfied]
Key = tuple[int, int, int]
Deltas = defaultdict[Key, list[int]]


def new_deltas() -> Deltas:
    """Counts to add, filled by a writer: ``deltas[(commune, year, month)][0] += 1``."""
    return defaultdict(lambda: [0, 0])


def months_add(deltas: Mapping[Key, list[int]]) -> None:
    """Add ``deltas`` to the roll-up in one upsert (negative counts for deletions); the
    months left with no response are removed. Call it in the writer's transaction."""
    rows = [(c, y, m, n, s) for (c, y, m), (n, s) in deltas.items() if n or s]
    if not rows:
        return
    bulk.bulk_add(
        SurveyMonth,
        rows,
        unique_fields=["commune", "year", "month"],
        added=["responses", "satisfied"],
    )
    if any(row[3] < 0 for row in rows):
        SurveyMonth.objects.filter(commune_id__in={row[0] for row in rows}, responses=0).delete()


def months_of(responses: QuerySet[SurveyResponse]) -> QuerySet:
    """``responses`` grouped by commune and month: (commune_id, year, month, responses,
    satisfied) rows, one query, in that order of columns."""
    return (
        responses.order_by()
        .annotate(year=ExtractYear("answered_on"), month=ExtractMonth("answered_on"))
        .values("commune_id", "year", "month")
        .annotate(n=Count("pk"), s=Count("pk", filter=Q(satisfied=True)))
        .values_list("commune_id", "year", "month", "n", "s")
    )


def months_remove(responses: QuerySet[SurveyResponse]) -> set[tuple[int, int]]:
    """Take ``responses`` (about to be deleted, in the caller's transaction) out of the
    roll-up. Returns the (commune id, year) pairs they touched."""
    deltas = new_deltas()
    for commune_id, year, month, n, s in months_of(responses):
        deltas[(commune_id, year, month)] = [-n, -s]
    months_add(deltas)
    return {(c, y) for c, y, _m in deltas}


def months_rebuild(*, commune_ids: Iterable[int] | None = None) -> None:
    """Count the roll-up again from the raw rows (of ``commune_ids``, default all): one
    DELETE and one INSERT ... SELECT ... GROUP BY."""
    from django.db import connection

    stored = SurveyMonth.objects.all()
    responses = SurveyResponse.objects.all()
    if commune_ids is not None:
        ids = list(commune_ids)
        stored = stored.filter(commune_id__in=ids)
        responses = responses.filter(commune_id__in=ids)
    stored.delete()
    select, params = months_of(responses).query.sql_with_params()
    table = connection.ops.quote_name(SurveyMonth._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table is the model's own; the SELECT is the ORM's, with its parameters.
            f"INSERT INTO {table} (commune_id, year, month, responses, satisfied) {select}",  # noqa: S608  # nosec B608
            params,
        )

"""The roll-up of survey responses per commune and year, by month (``SurveyYear``), kept
exact.

Statuses, the recompute and every survey figure read the roll-up, never the raw rows: a
country's year is ~10,000 roll-up rows for millions of responses. Every path that
writes or deletes responses adds its own counts here, in its own transaction:

- a kiosk or paper answer (``services.survey_response_create``): +1;
- a deletion (a mistaken paper entry, the admin's deletes, the undo of an import):
  ``months_remove`` of the rows, before they are deleted;
- an import (``importing``): the counts of the rows written, minus the rows already in
  that it takes out, minus the earlier rows a replace deletes, in one upsert.

A commune that is deleted takes its responses and its roll-up with it (both CASCADE).
``months_rebuild`` counts again from the raw rows (the demo, the scale data, a repair).
"""

from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear

from friendlygov import bulk
from surveys.models import MONTHS, SurveyResponse, SurveyYear, month_fields

# (commune id, year, month)
Key = tuple[int, int, int]
# The roll-up's counted columns, in the order of a row after (commune, year): the year's
# responses and satisfied, then each month's.
COUNTED = ["responses", "satisfied", *(name for month in MONTHS for name in month_fields(month))]


class Years(dict[tuple[int, int], list[int]]):
    """Counts to add to the roll-up, kept as its rows: (commune id, year) -> [commune id,
    year, then ``COUNTED``]. A writer adds the counts of each (commune, month) it wrote
    or deleted; ``months_add`` sends the rows as they are, with no other pass over them
    (a national import's ~84,000 (commune, month) pairs make ~21,000 rows, counted while
    its COPY is still being written)."""

    def add(self, commune_id: int, year: int, month: int, responses: int, satisfied: int) -> None:
        key = (commune_id, year, month)
        self.add_all({key: responses}, {key: responses - satisfied})

    def add_all(self, responses: Mapping[Key, int], unsatisfied: Mapping[Key, int]) -> None:
        """Add the counts of each (commune id, year, month) of ``responses``, of which
        those of ``unsatisfied`` not satisfied (negative to take them out): the importer's
        ~84,000 in one pass, without a call each."""
        get, no_counts = self.get, _NO_COUNTS
        unsatisfied_of = unsatisfied.get
        for key, n in responses.items():
            commune_id, year, month = key
            satisfied = n - unsatisfied_of(key, 0)
            row = get((commune_id, year))
            if row is None:
                row = self[(commune_id, year)] = [commune_id, year, *no_counts]
            # commune, year, the year's two counts, then two per month (``COUNTED``)
            row[2] += n
            row[3] += satisfied
            row[2 + 2 * month] += n
            row[3 + 2 * month] += satisfied


_NO_COUNTS = (0,) * len(COUNTED)


def months_add(counts: Years | Mapping[Key, list[int]]) -> None:
    """Add ``counts`` to the roll-up in one upsert (negative counts for deletions): a
    ``Years``, or [responses, satisfied] by (commune id, year, month). The years left with
    no response are removed. Call it in the writer's transaction."""
    # Staged rows live in a table until the transaction's end: one is needed (no
    # savepoint inside the writer's own).
    with transaction.atomic(savepoint=False):
        months_staged(counts)()


def months_staged(counts: Years | Mapping[Key, list[int]]) -> Callable[[], None]:
    """``months_add`` in two steps (``bulk.bulk_add_staged``): the rows are staged now,
    and the function returned adds them. Its upsert reads no result, so that the importer
    can send it in a pipeline and PostgreSQL adds them while the statuses are composed;
    only when a year may be left with no response does it read (and wait for) the rows
    to remove. Call both in the writer's transaction."""
    if not isinstance(counts, Years):
        years = Years()
        for (commune_id, year, month), (n, s) in counts.items():
            years.add(commune_id, year, month, n, s)
        counts = years
    rows = [row for row in counts.values() if any(row[2:])]
    if not rows:
        return lambda: None
    add = bulk.bulk_add_staged(SurveyYear, rows, unique_fields=["commune", "year"], added=COUNTED)
    # Only a year whose responses fall can be left with none.
    emptied = {row[0] for row in rows if row[2] < 0}

    def add_and_remove_empty() -> None:
        add()
        if emptied:
            SurveyYear.objects.filter(commune_id__in=emptied, responses=0).delete()

    return add_and_remove_empty


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
    years = Years()
    for commune_id, year, month, n, s in months_of(responses):
        years.add(commune_id, year, month, -n, -s)
    months_add(years)
    return set(years)


def years_of(responses: QuerySet[SurveyResponse]) -> QuerySet:
    """``responses`` counted as roll-up rows: (commune_id, year, then ``COUNTED``), one
    query grouped by commune and year."""
    satisfied = Q(satisfied=True)
    # Named apart from the response's own fields (``satisfied``), in ``COUNTED``'s order.
    counts = {"n": Count("pk"), "s": Count("pk", filter=satisfied)}
    for month in MONTHS:
        in_month = Q(answered_on__month=month)
        counts[f"n{month}"] = Count("pk", filter=in_month)
        counts[f"s{month}"] = Count("pk", filter=in_month & satisfied)
    return (
        responses.order_by()
        .annotate(year=ExtractYear("answered_on"))
        .values("commune_id", "year")
        .annotate(**counts)
        .values_list("commune_id", "year", *counts)
    )


def months_rebuild(*, commune_ids: Iterable[int] | None = None) -> None:
    """Count the roll-up again from the raw rows (of ``commune_ids``, default all): one
    DELETE and one INSERT ... SELECT ... GROUP BY."""
    from django.db import connection

    stored = SurveyYear.objects.all()
    responses = SurveyResponse.objects.all()
    if commune_ids is not None:
        ids = list(commune_ids)
        stored = stored.filter(commune_id__in=ids)
        responses = SurveyResponse.objects.of_communes(ids)
    stored.delete()
    select, params = years_of(responses).query.sql_with_params()
    table = connection.ops.quote_name(SurveyYear._meta.db_table)
    columns = ", ".join(["commune_id", "year", *COUNTED])
    with connection.cursor() as cursor:
        cursor.execute(
            # The table and columns are the model's own; the SELECT is the ORM's, with its
            # parameters.
            f"INSERT INTO {table} ({columns}) {select}",  # noqa: S608  # nosec B608
            params,
        )

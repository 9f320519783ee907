"""Bulk writes of many rows: the one place where PostgreSQL and SQLite differ.

Services write thousands of rows at once (a country's statuses, a survey import's
recompute requests). On PostgreSQL one statement carries every row as a single JSON
parameter, unpacked by ``jsonb_populate_recordset``: Django's ``bulk_create`` sends one
array per column, each value quoted in Python, about ten times slower for a country. On
SQLite (tests, a newcomer's machine) ``bulk_create`` is used, with the library's real
limit of variables per statement so that the number of statements does not grow with the
rows. The survey importer's COPY path is a third, PostgreSQL-only, way in, and many counts
added at once (``bulk_add_staged``) go through COPY too.
"""

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.db.models.sql.constants import MULTI

# Rows fetched per round of a large read (Django's iteration fetches 100 at a time).
READ_CHUNK = 20_000


def is_postgresql() -> bool:
    """Whether the default database is PostgreSQL (COPY and advisory locks need it)."""
    return connection.vendor == "postgresql"


def bulk_insert(
    model: type[models.Model], objects: Sequence[models.Model], *, fields: list[str]
) -> None:
    """INSERT ``objects`` (their ``fields``) in as few statements as the database allows."""
    if not objects:
        return
    if is_postgresql():
        _insert_from_json(model, fields, objects)
        return
    with sqlite_variable_limit():
        model._default_manager.bulk_create(objects)


def bulk_upsert(
    model: type[models.Model],
    objects: Sequence[models.Model] | Sequence[Sequence[Any]],
    *,
    unique_fields: list[str],
    update_fields: list[str],
    null_unless_equal: Sequence[str] = (),
) -> None:
    """INSERT ``objects``, or UPDATE ``update_fields`` of the rows with the same
    ``unique_fields`` (INSERT ... ON CONFLICT DO UPDATE), in as few statements as the
    database allows.

    ``objects`` are model instances, or plain rows: sequences of the values of
    ``unique_fields`` then ``update_fields`` (without repeats), in that order, as
    ``value_from_object`` gives them, or as JSON carries them (a time as ISO text): a
    country's statuses are written as rows, as many model instances cost more than the
    statement.

    A field of ``null_unless_equal`` keeps its value when the stored and the new one are
    equal and becomes NULL otherwise (a recompute request for one year merged with one for
    another year asks for every year). Counts that every writer adds to: ``bulk_add_staged``.
    Call it inside the caller's transaction.
    """
    if not objects:
        return
    fields = list(dict.fromkeys([*unique_fields, *update_fields]))
    if is_postgresql():
        _insert_from_json(
            model,
            fields,
            objects,
            on_conflict=(unique_fields, update_fields, tuple(null_unless_equal)),
        )
        return
    if isinstance(objects[0], models.Model):
        instances = cast(Sequence[models.Model], objects)
    else:
        attnames = [_field(model, name).attname for name in fields]
        instances = [
            model(**dict(zip(attnames, row, strict=True)))
            for row in cast(Sequence[Sequence[Any]], objects)
        ]
    if null_unless_equal:
        # SQLite has one writer at a time: once the caller's transaction has written, nothing
        # changes the stored values between this read and the write below.
        _merge_null_unless_equal(model, instances, unique_fields, null_unless_equal)
    with sqlite_variable_limit():
        model._default_manager.bulk_create(
            instances,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )


def _field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """A concrete field of ``model`` (the ones that have a column)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return field


def _column(model: type[models.Model], name: str) -> str:
    column = _field(model, name).column
    if column is None:
        raise TypeError(f"{model.__name__}.{name} has no column")
    return column


# From this many rows on, ``bulk_add_staged`` sends them with COPY into a temporary table:
# for a national import's ~20,000 roll-up rows of 28 numbers, a quarter of the time of the
# JSON parameter's unpacking (BENCHMARKS.md, "Import, round five"). Below it (a kiosk
# answer's one row), the JSON statement, which creates no table.
COPY_FROM = 1000


def bulk_add_staged(
    model: type[models.Model],
    rows: Sequence[Sequence[Any]],
    *,
    unique_fields: list[str],
    added: list[str],
) -> Callable[[], None]:
    """Add counts to the rows of ``model`` with the same ``unique_fields`` (inserting
    those missing): INSERT ... ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n, one
    statement. ``rows`` are integers, ``unique_fields`` then ``added`` in order (no
    model instances: a national import adds ~20,000 of them, and building as many
    instances costs more than the statement).

    In two steps: the rows are staged now, and the function returned adds them. On
    PostgreSQL, from ``COPY_FROM`` rows on, they are staged with COPY into a
    temporary table (COPY cannot be sent in a pipeline); the function sends the upsert
    and the table's drop without reading any result, so that in a pipeline
    (``pipelined``) PostgreSQL adds them while the caller goes on. Call both inside the
    caller's transaction (the table is dropped at its end at the latest)."""
    if not rows:
        return lambda: None
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [*unique_fields, *added]
    columns = [quote(_column(model, name)) for name in fields]
    names = ", ".join(columns)
    target = ", ".join(columns[: len(unique_fields)])
    assignments = ", ".join(
        f"{column} = {table}.{column} + EXCLUDED.{column}"
        for column in columns[len(unique_fields) :]
    )
    # The column names are the model's own.
    upsert = f"ON CONFLICT ({target}) DO UPDATE SET {assignments}"  # nosec B608
    if is_postgresql() and len(rows) >= COPY_FROM:
        _stage_through_copy(table, columns, rows)
        staged = f"INSERT INTO {table} ({names}) SELECT {names} FROM bulk_added {upsert}"  # noqa: S608  # nosec B608

        def add_staged() -> None:
            with connection.cursor() as cursor:
                cursor.execute(staged)
                cursor.execute("DROP TABLE bulk_added")

        return add_staged
    if is_postgresql():
        types = [_field(model, name).db_type(connection) for name in fields]
        values = ", ".join(f"(e->>{n})::{kind}" for n, kind in enumerate(types))
        from_json = (
            f"INSERT INTO {table} ({names}) "  # noqa: S608  # nosec B608
            f"SELECT {values} FROM jsonb_array_elements(%s::jsonb) e {upsert}"
        )
        payload = json.dumps(list(rows))

        def add_from_json() -> None:
            with bound_cursor() as cursor:
                cursor.execute(from_json, [payload])

        return add_from_json
    each = (
        f"INSERT INTO {table} ({names}) "  # noqa: S608  # nosec B608
        f"VALUES ({', '.join(['%s'] * len(columns))}) {upsert}"
    )
    each_values = [list(row) for row in rows]

    def add_each() -> None:
        with connection.cursor() as cursor:
            cursor.executemany(each, each_values)

    return add_each


def _stage_through_copy(table: str, columns: list[str], rows: Sequence[Sequence[Any]]) -> None:
    """COPY ``rows`` into a temporary table ``bulk_added`` of ``table``'s ``columns``,
    dropped at the end of the transaction at the latest. The table and column names are
    the model's own."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE bulk_added ON COMMIT DROP AS "  # noqa: S608  # nosec B608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY bulk_added ({names}) FROM STDIN") as copy:
            # Integers (keys and counts) are their own COPY text: the rows are formatted
            # here, not adapted value by value by the driver (~26 values a row), with one
            # format for the whole row (half the time of joining each value's ``str``).
            line = "\t".join(["%d"] * len(columns)) + "\n"
            copy.write("".join(line % tuple(row) for row in rows))


def _merge_null_unless_equal(
    model: type[models.Model],
    objects: Sequence[models.Model],
    unique_fields: list[str],
    merged: Sequence[str],
) -> None:
    attnames = [_field(model, name).attname for name in unique_fields]
    merged_attnames = [_field(model, name).attname for name in merged]
    lookup = {f"{attnames[0]}__in": [getattr(obj, attnames[0]) for obj in objects]}
    stored = {
        tuple(row[: len(attnames)]): row[len(attnames) :]
        for row in model._default_manager.filter(**lookup).values_list(*attnames, *merged_attnames)
    }
    for obj in objects:
        old = stored.get(tuple(getattr(obj, name) for name in attnames))
        if old is None:
            continue
        for attname, old_value in zip(merged_attnames, old, strict=True):
            if getattr(obj, attname) != old_value:
                setattr(obj, attname, None)


def _insert_from_json(
    model: type[models.Model],
    fields: list[str],
    objects: Sequence[models.Model] | Sequence[Sequence[Any]],
    *,
    on_conflict: tuple[list[str], list[str], tuple[str, ...]] | None = None,
) -> None:
    """INSERT many rows in one statement whose one parameter is a JSON array of them.

    ``objects``: model instances, or rows of the values of ``fields`` in order.
    ``on_conflict``: (unique fields, fields to update, fields NULL unless equal) for an
    upsert.
    """
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    model_fields = [_field(model, name) for name in fields]
    columns = [_column(model, name) for name in fields]
    if objects and not isinstance(objects[0], models.Model):
        data: list[Any] = [
            dict(zip(columns, row, strict=True)) for row in cast(Sequence[Sequence[Any]], objects)
        ]
    else:
        data = [
            {
                column: field.value_from_object(obj)
                for column, field in zip(columns, model_fields, strict=True)
            }
            for obj in cast(Sequence[models.Model], objects)
        ]
    names = ", ".join(quote(c) for c in columns)
    # Table and column names are the model's own, quoted; the rows go as one parameter.
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608  # nosec B608
        f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb)"
    )
    if on_conflict is not None:
        unique, update, null_unless_equal = on_conflict
        target = ", ".join(quote(_column(model, name)) for name in unique)
        assignments = []
        for name in update:
            column = quote(_column(model, name))
            if name in null_unless_equal:
                value = f"CASE WHEN {table}.{column} = EXCLUDED.{column} THEN EXCLUDED.{column} END"
            else:
                value = f"EXCLUDED.{column}"
            assignments.append(f"{column} = {value}")
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {', '.join(assignments)}"  # nosec B608
    with bound_cursor() as cursor:
        cursor.execute(sql, [json.dumps(data, cls=DjangoJSONEncoder)])


@contextlib.contextmanager
def bound_cursor() -> Iterator[Any]:
    """A cursor whose parameters PostgreSQL binds itself, sent beside the statement.

    Django's cursors bind on the client: the driver escapes each parameter into the text
    of the statement and the server scans it back out. For the one JSON parameter of a
    country's statuses (5 MB) that costs 0.14 s of the 0.36 s the statement takes. The
    cursor is Django's own wrapper (query logging, execute wrappers, error translation).
    """
    if not is_postgresql():
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    db: Any = connection  # Django's wrapper of the connection (logging, error translation)
    cursor_class: Any = ServerBindingCursor
    with db.wrap_database_errors:
        cursor = db._prepare_cursor(cursor_class(db.connection))
    with cursor:
        yield cursor


@contextlib.contextmanager
def pipelined() -> Iterator[None]:
    """Statements executed inside the block are sent to PostgreSQL without waiting for
    each to finish (psycopg's pipeline mode): Python goes on, composing the next ones,
    while the server works. Only for statements whose results are not read (no
    ``rowcount``, no rows): the block's end waits for them all, and raises the first
    error as Django's. Elsewhere (SQLite) each runs at once, as outside."""
    if not is_postgresql():
        yield
        return
    connection.ensure_connection()
    db: Any = connection  # Django's wrapper of the connection (error translation)
    with db.wrap_database_errors, db.connection.pipeline():
        yield


def ids_in(ids: Iterable[int]) -> RawSQL:
    """``ids`` as one query parameter, for ``filter(field__in=ids_in(ids))``.

    A national import touches ~10,000 communes: as ``IN (%s, %s, ...)`` the driver
    splits and quotes a query of 10,000 placeholders (seconds, for each query that names
    them); here they go as one array (PostgreSQL) or one JSON text (SQLite).

    ``DISTINCT`` is for the planner, not the values (already distinct): without it,
    PostgreSQL guesses 200 distinct ids in the array and joins by one index probe per
    row of the outer table (a year's statuses: 51-111 ms); with it, it counts the
    array and hashes it (34 ms; BENCHMARKS.md, import round seven).
    """
    values = sorted({int(i) for i in ids})
    if is_postgresql():
        return RawSQL(
            "SELECT DISTINCT unnest(%s::bigint[])",
            (array_text(values),),
            output_field=models.BigIntegerField(),
        )
    return RawSQL(
        "SELECT value FROM json_each(%s)",
        (json.dumps(values),),
        output_field=models.BigIntegerField(),
    )


def array_text(values: Iterable[int]) -> str:
    """Integers as PostgreSQL's text of an array (``{1,2,3}``), for a ``%s::bigint[]``
    parameter: joined in one call, where the driver adapts a list element by element
    (13 ms for 10,000 ids, each time a national import's communes are named)."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


def key_share_locked(model: type[models.Model], ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` (primary keys of ``model``) exist, locked against deletion until
    the transaction ends: on PostgreSQL with FOR KEY SHARE, the lock a foreign key
    constraint's check takes (updates of other columns go on), in the order of the ids.
    What a table without such a constraint checks once instead of once per row. SQLite
    has one writer at a time: nothing can delete them before the commit. One query."""
    values = sorted({int(i) for i in ids})
    if not values:
        return set()
    if not is_postgresql():
        found = model._default_manager.filter(pk__in=ids_in(values)).values_list("pk", flat=True)
        return set(found)
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        # The table and column names are the model's own; the ids are one array parameter.
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) "  # noqa: S608  # nosec B608
            f"ORDER BY {column} FOR KEY SHARE",
            [array_text(values)],
        )
        return {row[0] for row in cursor.fetchall()}


def rows(queryset: "models.QuerySet[Any]") -> Iterator[Sequence[Any]]:
    """The rows of a ``values_list`` queryset, fetched ``READ_CHUNK`` at a time, with the
    fields' conversions (dates and decimals on SQLite): a country's evidence is ~150,000
    rows a year, which Django's own iteration fetches in 1,500 rounds of 100."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    rows: Iterator[Sequence[Any]] = compiler.results_iter(
        compiler.execute_sql(MULTI, chunked_fetch=False, chunk_size=READ_CHUNK)
    )
    return rows


@contextlib.contextmanager
def sqlite_variable_limit() -> Iterator[None]:
    """On SQLite, let one INSERT carry as many rows as the library allows.

    Django 5.2 splits SQLite inserts into batches of 999 variables, the library's limit
    before SQLite 3.32 (2020); the linked library reports its real limit (32,766 by
    default, 250,000 on Debian). Without this a province's statuses would take a
    statement per ~80 communes, and the number of queries would grow with them.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    features: Any = connection.features
    raw: Any = connection.connection
    features.max_query_params = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    try:
        yield
    finally:
        del features.max_query_params

"""Statements whose SQL the ORM builds once per process.

A page that runs the same few grouped queries on every render pays Django, each time,
for building each queryset (filters, joins, annotations) and compiling it to SQL: for
the national dashboard about half of its figures' Python beside their SQL (BENCHMARKS.md,
"The cold national render"). When a statement's text and parameters depend only on a
few values (the year, a date), ``rows`` keeps what the compiler made of it under those
values and runs it again as the ORM would: the same SQL through Django's cursor (its
query log and execute wrappers), the same converters on each value, the same rows (dicts
of ``values()``, tuples of ``values_list()``).
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.query import ValuesIterable, ValuesListIterable

# What a process keeps at most: a few statements for each year and date asked for.
LIMIT = 256


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    # Django's converters by column: (position, the converters, the column's expression).
    converters: tuple[tuple[int, tuple, Any], ...]
    # The number of columns of a row (the compiler may select more, e.g. for ordering).
    width: int
    # The names of a ``values()`` row's columns; None for ``values_list()`` (tuples).
    names: tuple[str, ...] | None


_statements: dict[tuple, _Statement] = {}


def _compiled(queryset: QuerySet) -> _Statement:
    if queryset._iterable_class not in (ValuesIterable, ValuesListIterable):  # noqa: SLF001
        raise TypeError("prepared.rows reads values() and values_list() querysets only")
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise TypeError("prepared.rows reads no composite field")
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(columns).items()
    )
    names = None
    if queryset._iterable_class is ValuesIterable:  # noqa: SLF001
        names = tuple(
            query.selected or [*query.extra_select, *query.values_select, *query.annotation_select]
        )
    return _Statement(sql, tuple(params), converters, compiler.col_count, names)


def rows(key: Hashable, build: Callable[[], QuerySet]) -> list:
    """``list(build())``, for a ``values()`` or ``values_list()`` queryset whose SQL and
    parameters ``key`` determines (with the database): built and compiled by the ORM on
    the first call of this process with ``key``, then only run."""
    cache_key = (connection.alias, connection.vendor, key)
    statement = _statements.get(cache_key)
    if statement is None:
        statement = _compiled(build())
        if len(_statements) >= LIMIT:
            _statements.clear()
        _statements[cache_key] = statement
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        fetched = cursor.fetchall()
    result = []
    converters, width, names = statement.converters, statement.width, statement.names
    for fetched_row in fetched:
        row = list(fetched_row[:width])
        for position, functions, expression in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        # As ValuesIterable: a name for each of the first columns.
        result.append(dict(zip(names, row, strict=False)) if names is not None else tuple(row))
    return result

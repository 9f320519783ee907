"""Statements built once per process (``friendlygov.prepared``): the rows are those the
ORM gives, read afresh on every call; only the building and compiling is kept."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.test.utils import CaptureQueriesContext

from communes.models import Commune
from friendlygov import prepared

pytestmark = pytest.mark.django_db

LAUNCH = datetime.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _fresh():
    prepared._statements.clear()
    yield
    prepared._statements.clear()


def by_district():
    return (
        Commune.objects.values("district_id")
        .annotate(
            n=Count("pk"),
            launched=Count("pk", filter=Q(model_launched_on__lte=LAUNCH)),
            ids=Sum("pk"),
            last=Max("model_launched_on"),
        )
        .order_by("district_id")
    )


def test_the_rows_are_those_the_orm_gives(doi_ngo, le_loi):
    Commune.objects.filter(pk=doi_ngo.pk).update(model_launched_on=LAUNCH)

    assert prepared.rows("dicts", by_district) == list(by_district())
    pairs = lambda: Commune.objects.order_by("code").values_list("code", "model_launched_on")  # noqa: E731
    assert prepared.rows("tuples", pairs) == list(pairs())
    # Converted as the ORM converts, value by value (a date is a date; a sum is of the
    # type the ORM gives on this database).
    orm = next(r for r in by_district() if r["last"] is not None)
    row = next(r for r in prepared.rows("dicts", by_district) if r["last"] is not None)
    assert row["last"] == LAUNCH
    assert [type(value) for value in row.values()] == [type(value) for value in orm.values()]


def test_the_statement_is_built_once_and_its_rows_read_on_every_call(doi_ngo, le_loi):
    built = []

    def build():
        built.append(1)
        return by_district()

    first = prepared.rows("launched", build)
    Commune.objects.filter(pk=doi_ngo.pk).update(model_launched_on=LAUNCH)
    with CaptureQueriesContext(connection) as queries:
        second = prepared.rows("launched", build)

    assert len(built) == 1
    assert len(queries) == 1  # run again, not answered from memory
    assert sum(r["launched"] for r in first) == 0
    assert sum(r["launched"] for r in second) == 1
    # Another key is another statement.
    prepared.rows("launched, again", build)
    assert len(built) == 2


def test_a_full_store_starts_again_and_still_answers(monkeypatch, doi_ngo, le_loi):
    monkeypatch.setattr(prepared, "LIMIT", 1)

    assert prepared.rows("a", by_district) == list(by_district())
    assert prepared.rows("b", by_district) == list(by_district())
    assert len(prepared._statements) == 1


def test_only_values_are_read():
    with pytest.raises(TypeError, match="values"):
        prepared.rows("models", lambda: Commune.objects.all())

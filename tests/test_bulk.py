"""The bulk helpers other apps' writers share (``friendlygov.bulk``): ids named as one
parameter, and the check-and-lock of rows a table without constraints refers to."""

import pytest

from communes.models import Commune
from friendlygov import bulk

pytestmark = pytest.mark.django_db


def test_ids_go_as_the_text_of_one_array():
    assert bulk.array_text([3, 1, 2]) == "{3,1,2}"
    assert bulk.array_text([]) == "{}"


def test_a_filter_by_many_ids_finds_those_rows_and_no_others(doi_ngo, le_loi):
    ids = [doi_ngo.pk, le_loi.pk, 10**9]  # one that does not exist

    found = Commune.objects.filter(pk__in=bulk.ids_in(ids)).values_list("pk", flat=True)

    assert sorted(found) == sorted([doi_ngo.pk, le_loi.pk])
    assert not Commune.objects.filter(pk__in=bulk.ids_in([])).exists()


def test_the_rows_referred_to_are_those_that_exist(doi_ngo, le_loi):
    assert bulk.key_share_locked(Commune, [le_loi.pk, doi_ngo.pk, 10**9]) == {
        doi_ngo.pk,
        le_loi.pk,
    }
    assert bulk.key_share_locked(Commune, []) == set()

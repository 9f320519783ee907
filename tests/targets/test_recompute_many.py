"""recompute_later_many: the recomputes of thousands of communes queued at once (a survey
import), with what recompute_later promises for each."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError as BrokerError

from communes.models import Commune
from targets import outbox, tasks
from targets.models import CertificationStatus, PendingRecompute, Status

pytestmark = pytest.mark.django_db


def test_each_commune_is_recorded_and_one_task_recomputes_them_all_after_the_commit(
    make_ready, doi_ngo, le_loi, django_capture_on_commit_callbacks
):
    make_ready([doi_ngo, le_loi])
    delay = tasks.recompute_pending.delay
    with mock.patch.object(tasks.recompute_pending, "delay", wraps=delay) as queued:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            outbox.recompute_later_many(requests=[(doi_ngo.pk, 2023), (le_loi.pk, 2023)])
        assert set(PendingRecompute.objects.values_list("commune_id", "year")) == {
            (doi_ngo.pk, 2023),
            (le_loi.pk, 2023),
        }
        queued.assert_not_called()  # nothing before the commit

        for callback in callbacks:  # the commit: the task runs in-process
            callback()

    queued.assert_called_once_with()
    assert not PendingRecompute.objects.exists()
    statuses = CertificationStatus.objects.filter(year=2023, status=Status.CERTIFIED)
    assert set(statuses.values_list("commune_id", flat=True)) == {doi_ngo.pk, le_loi.pk}


def test_a_second_year_for_a_commune_means_every_year(doi_ngo, le_loi):
    with mock.patch.object(tasks.recompute_pending, "delay"):
        outbox.recompute_later(commune_id=le_loi.pk, year=2024)
        outbox.recompute_later_many(
            requests=[(doi_ngo.pk, 2023), (doi_ngo.pk, 2024), (le_loi.pk, 2023)]
        )
    assert PendingRecompute.objects.get(commune=doi_ngo).year is None
    assert PendingRecompute.objects.get(commune=le_loi).year is None  # 2024 pending, 2023 asked


def test_the_same_year_asked_again_stays_that_year(doi_ngo):
    with mock.patch.object(tasks.recompute_pending, "delay"):
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
        outbox.recompute_later_many(requests=[(doi_ngo.pk, 2023)])
    assert PendingRecompute.objects.get(commune=doi_ngo).year == 2023


def test_a_broker_that_is_down_leaves_the_requests_to_the_drain(
    doi_ngo, django_capture_on_commit_callbacks
):
    down = mock.patch.object(tasks.recompute_pending, "delay", side_effect=BrokerError("down"))
    with down, django_capture_on_commit_callbacks(execute=True):
        outbox.recompute_later_many(requests=[(doi_ngo.pk, 2023)])
    assert PendingRecompute.objects.filter(commune=doi_ngo).exists()


def test_thousands_of_communes_take_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    # A loop of queries per commune would show here: every commune of the province.
    requests = [(pk, 2024) for pk in Commune.objects.values_list("pk", flat=True)]
    with (
        mock.patch.object(tasks.recompute_pending, "delay"),
        django_assert_max_num_queries(4),
    ):
        outbox.recompute_later_many(requests=requests)
    assert PendingRecompute.objects.count() == len(requests)

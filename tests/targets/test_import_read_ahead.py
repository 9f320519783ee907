"""The importer's statuses read ahead (``services.statuses_read_ahead``): on PostgreSQL the
stored statuses of the file's communes are read on a second connection while the server
still writes the file; the statuses composed from that read are those a whole evaluation
gives, and what moved between that read and the year locks (a status written by another
recompute, counts added by a kiosk answer) is read again under the locks, never written
from the old read. Anywhere the read cannot go ahead, the statuses are read under the
locks as before."""

import threading
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test.utils import override_settings

from friendlygov import ahead
from surveys import importing
from surveys.importing import survey_file_import
from surveys.models import ImportBatch, SurveyYear
from targets import services
from targets.models import CertificationStatus, Status
from tests.conftest import skip_or_fail
from tests.targets import test_recompute_after_surveys as after_surveys
from tests.targets.test_recompute_after_surveys import YEAR, assert_as_a_whole_evaluation, stored

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Đồi Ngô certified, Lê Lợi in progress, five more in other states: as there.
country = after_surveys.country


def _postgresql_only():
    if not settings.IS_POSTGRES:
        skip_or_fail("a second connection needs PostgreSQL; CI's PostgreSQL leg runs this")


@pytest.fixture
def file(tmp_path, country, doi_ngo, le_loi):
    return after_surveys.fifty_answers(tmp_path, country, doi_ngo, le_loi)


@pytest.fixture
def plans():
    """The calls of the year's composition from a read ahead, and from a read under the
    locks (the communes of each)."""
    with (
        mock.patch.object(
            services, "_survey_plan_ahead", side_effect=services._survey_plan_ahead
        ) as from_ahead,
        mock.patch.object(services, "_survey_plan", side_effect=services._survey_plan) as locked,
    ):
        yield from_ahead, locked


def _on_another_connection(write):
    """Run ``write`` and commit it on a connection of another thread, as another request
    would, while the import's transaction is open."""
    failed = []

    def run():
        try:
            write()
        except Exception as exc:  # noqa: BLE001  # given to the test below
            failed.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and not failed, failed


def test_the_statuses_read_ahead_are_those_of_a_whole_evaluation(
    real_units, file, country, doi_ngo, le_loi, plans
):
    _postgresql_only()
    from_ahead, locked = plans
    threads = []
    read = services._survey_rows

    def seen(*args):
        threads.append(threading.current_thread().name)
        return read(*args)

    with mock.patch.object(services, "_survey_rows", side_effect=seen):
        report = survey_file_import(path=file, filename=file.name)

    assert report.written == 50
    # Read once, on the read-ahead thread; nothing moved since, so nothing read again.
    assert threads and all(name.startswith("read-ahead") for name in threads)
    from_ahead.assert_called_once()
    locked.assert_not_called()
    now = stored()
    assert now[doi_ngo.pk][0] == Status.NOT_MET
    assert now[le_loi.pk][0] == Status.IN_PROGRESS
    assert now[country[4].pk][0] == Status.CERTIFIED
    assert_as_a_whole_evaluation()


def test_counts_added_after_the_read_ahead_are_read_again_under_the_locks(
    real_units, file, doi_ngo, plans
):
    _postgresql_only()
    from_ahead, locked = plans
    begin = importing.statuses_read_ahead

    def read_then_answer(*, pairs):
        reads = begin(pairs=pairs)
        for result in reads.values():
            result()  # the read is done...
        # ...then a kiosk answer of Đồi Ngô commits before the import writes its counts.
        _on_another_connection(
            lambda: SurveyYear.objects.filter(commune=doi_ngo, year=YEAR).update(
                responses=F("responses") + 1,
                satisfied=F("satisfied") + 1,
                responses_9=F("responses_9") + 1,
                satisfied_9=F("satisfied_9") + 1,
            )
        )
        return reads

    with mock.patch.object(importing, "statuses_read_ahead", side_effect=read_then_answer):
        survey_file_import(path=file, filename=file.name)

    from_ahead.assert_called_once()
    # Đồi Ngô alone is read again, and its status counts the answer and the file's 20.
    assert locked.call_args.args == (YEAR, {doi_ngo.pk})
    rolled_up = SurveyYear.objects.get(commune=doi_ngo, year=YEAR)
    status = CertificationStatus.objects.get(commune=doi_ngo, year=YEAR)
    assert (status.survey_responses, status.survey_satisfied) == (
        rolled_up.responses,
        rolled_up.satisfied,
    )
    assert rolled_up.responses == 40 + 20 + 1
    assert_as_a_whole_evaluation()


def test_a_status_written_after_the_read_ahead_is_read_again_under_the_locks(
    real_units, file, le_loi, plans
):
    _postgresql_only()
    from_ahead, locked = plans
    compose = from_ahead.side_effect  # the composition itself

    def written_meanwhile(*args, **kwargs):
        # Another recompute wrote Lê Lợi's status (under another rule) after the read;
        # the import holds no lock on it yet.
        _on_another_connection(
            lambda: CertificationStatus.objects.filter(commune=le_loi, year=YEAR).update(
                rule_key="another rule"
            )
        )
        return compose(*args, **kwargs)

    from_ahead.side_effect = written_meanwhile
    with mock.patch.object(
        services, "_recompute_year", side_effect=services._recompute_year
    ) as whole:
        survey_file_import(path=file, filename=file.name)

    assert locked.call_args.args == (YEAR, {le_loi.pk})
    # Read again, it is under another rule: evaluated whole, not composed from the old read.
    whole.assert_called_once_with(YEAR, [le_loi.pk])
    assert_as_a_whole_evaluation()


def test_a_busy_read_ahead_thread_leaves_the_statuses_to_be_read_under_the_locks(
    real_units, file, plans
):
    _postgresql_only()
    from_ahead, locked = plans
    ahead._executor()  # this process's thread and its free slot
    assert ahead._free.acquire(blocking=False)  # another request's read holds the thread
    try:
        survey_file_import(path=file, filename=file.name)
    finally:
        ahead._free.release()

    from_ahead.assert_not_called()
    locked.assert_called_once()
    assert_as_a_whole_evaluation()


def test_switched_off_nothing_is_read_ahead(real_units, file, plans):
    from_ahead, locked = plans
    with override_settings(READ_AHEAD=False):
        survey_file_import(path=file, filename=file.name)

    from_ahead.assert_not_called()
    locked.assert_called_once()
    assert_as_a_whole_evaluation()


def test_a_read_ahead_that_cannot_begin_leaves_nothing_written(real_units, file):
    # The file's COPY is still open when the read ahead begins: a failure there ends it.
    with (
        mock.patch.object(importing, "statuses_read_ahead", side_effect=RuntimeError("down")),
        pytest.raises(RuntimeError),
    ):
        survey_file_import(path=file, filename=file.name)

    assert not SurveyYear.objects.filter(year=YEAR, responses__gt=40).exists()
    assert not ImportBatch.objects.exists()
    # The connection is usable afterwards.
    survey_file_import(path=file, filename=file.name)
    assert ImportBatch.objects.get().rows == 50

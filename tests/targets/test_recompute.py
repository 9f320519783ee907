"""Recomputing statuses: stored with their history, set-based, atomic, idempotent."""

import datetime
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError as BrokerError

from communes.models import Commune, District, Evidence, EvidenceState, Province
from targets import facts, outbox, services, tasks
from targets import selectors as target_selectors
from targets.models import CertificationStatus, RecomputeRun, Status, StatusChange
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.django_db


def statuses(year=2023):
    return dict(
        CertificationStatus.objects.filter(year=year).values_list("commune__code", "status")
    )


def test_every_commune_gets_a_status_with_its_reasons_and_figures(make_ready, doi_ngo, le_loi):
    make_ready([doi_ngo])
    make_ready([le_loi], states={"TC-HS": EvidenceState.SUBMITTED})

    counts = services.statuses_recompute(year=2023)

    assert counts[2023] == {"CERTIFIED": 1, "IN_PROGRESS": 1, "NOT_STARTED": 207}
    doi_ngo_status = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert doi_ngo_status.status == Status.CERTIFIED
    assert doi_ngo_status.reasons == []
    assert (doi_ngo_status.survey_responses, doi_ngo_status.survey_satisfied) == (40, 36)
    assert (doi_ngo_status.evidence_required, doi_ngo_status.evidence_approved) == (2, 2)
    assert doi_ngo_status.score == 20
    le_loi_status = CertificationStatus.objects.get(commune=le_loi, year=2023)
    assert le_loi_status.reasons == [
        {"code": "evidence_awaiting_review", "params": {"criterion": "TC-HS"}}
    ]


def test_only_this_years_evidence_surveys_and_active_criteria_count(make_ready, doi_ngo, checklist):
    make_ready([doi_ngo], year=2023)
    # 2024: the committee and launch of 2023 still hold; evidence and surveys do not.
    services.statuses_recompute(year=2024)
    status = CertificationStatus.objects.get(commune=doi_ngo, year=2024)
    assert status.status == Status.IN_PROGRESS
    assert {r["code"] for r in status.reasons} == {
        "evidence_missing",
        "too_few_responses",
        "score_pending",
    }
    # A retired criterion's missing evidence is no reason in 2023.
    services.statuses_recompute(year=2023)
    assert statuses()["7444"] == Status.CERTIFIED


def test_a_committee_of_another_level_does_not_count(make_ready, doi_ngo):
    make_ready([doi_ngo], skip=("committee",))
    doi_ngo.district.committees.create(
        level="district", decision_number="QĐ-H", established_on=datetime.date(2022, 1, 1)
    )
    services.statuses_recompute(year=2023)
    assert statuses()["7444"] == Status.NOT_STARTED


def test_history_records_a_row_only_when_the_status_changes(make_ready, doi_ngo):
    make_ready([doi_ngo], states={"TC-HS": EvidenceState.SUBMITTED})
    services.statuses_recompute(year=2023)
    first = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert StatusChange.objects.filter(year=2023).count() == 209  # each commune's first status

    services.statuses_recompute(year=2023)  # nothing changed
    again = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert StatusChange.objects.filter(year=2023).count() == 209
    # Computed now all the same (on PostgreSQL the year's time moves, not the status's).
    shown = target_selectors.commune_status(commune=doi_ngo, year=2023).last_computed_at
    assert shown > first.computed_at
    assert again.changed_at == first.changed_at

    Evidence.objects.filter(commune=doi_ngo).update(state=EvidenceState.APPROVED)
    services.statuses_recompute(year=2023)
    change = StatusChange.objects.filter(commune=doi_ngo).last()
    assert (change.from_status, change.to_status) == (Status.IN_PROGRESS, Status.CERTIFIED)
    certified = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert certified.changed_at == change.at == certified.computed_at


def test_one_communes_recompute_leaves_the_others_alone(make_ready, doi_ngo, le_loi):
    services.statuses_recompute(year=2023)
    make_ready([doi_ngo, le_loi])

    tasks.recompute_commune.delay(doi_ngo.pk, 2023)

    assert statuses()["7444"] == Status.CERTIFIED
    assert statuses()["7219"] == Status.NOT_STARTED


def test_a_commune_is_recomputed_for_every_year_with_a_rule_or_target(make_ready, doi_ngo):
    make_ready([doi_ngo])
    tasks.recompute_commune.delay(doi_ngo.pk)
    assert set(doi_ngo.statuses.values_list("year", flat=True)) == {2023, 2024, 2025}
    assert services.recompute_years() == [2023, 2024, 2025]


def test_a_recompute_of_a_commune_that_no_longer_exists_does_nothing(checklist):
    tasks.recompute_commune.delay(10**9, 2023)
    assert not CertificationStatus.objects.exists()


def _add_communes(count):
    """``count`` more communes in new districts (the real 209 stay), in two statements."""
    province = Province.objects.get()
    districts = District.objects.bulk_create(
        District(code=f"9{n:03d}", name=f"Huyện thử {n}", kind="Huyện", province=province)
        for n in range(count // 200 + 1)
    )
    Commune.objects.bulk_create(
        Commune(
            code=f"9{n:05d}",
            name=f"Xã thử {n}",
            search_name=f"xa thu {n}",
            kind="Xã",
            district=districts[n % len(districts)],
            province=province,
        )
        for n in range(count)
    )


def test_the_number_of_queries_does_not_grow_with_the_number_of_communes(make_ready):
    # A loop of queries per commune would show here: 1,791 more communes, same count.
    make_ready(Commune.objects.order_by("code")[:50])
    with CaptureQueriesContext(connection) as at_209:
        services.statuses_recompute(year=2023)

    _add_communes(2000 - Commune.objects.count())
    make_ready(Commune.objects.filter(code__startswith="9").order_by("code")[:500])
    CertificationStatus.objects.all().delete()
    StatusChange.objects.all().delete()
    with CaptureQueriesContext(connection) as at_2000:
        services.statuses_recompute(year=2023)

    assert Commune.objects.count() == 2000
    assert CertificationStatus.objects.filter(year=2023).count() == 2000
    # (12 before units through time; +3: the year's reference date, and removing the
    # statuses of units the year is no longer evaluated on)
    assert len(at_2000) == len(at_209) <= 15, [q["sql"][:80] for q in at_2000]


def test_a_crash_in_the_middle_of_the_write_leaves_the_previous_statuses_whole(make_ready):
    communes = list(Commune.objects.order_by("code")[:20])
    make_ready(communes, states={"TC-HS": EvidenceState.SUBMITTED})
    services.statuses_recompute(year=2023)
    before = list(CertificationStatus.objects.order_by("pk").values())
    history = StatusChange.objects.count()

    Evidence.objects.update(state=EvidenceState.APPROVED)  # 20 communes would now change
    write = services._upsert_statuses

    def write_half_then_fail(rows):
        write(rows[: len(rows) // 2])
        raise OperationalError("disk I/O error")

    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.COMMAND, year=2023)
    with (
        mock.patch.object(services, "_upsert_statuses", write_half_then_fail),
        pytest.raises(OperationalError),
    ):
        services.recompute_run_execute(run_id=run.pk)

    assert list(CertificationStatus.objects.order_by("pk").values()) == before
    assert StatusChange.objects.count() == history
    run.refresh_from_db()
    assert run.state == RecomputeRun.State.FAILED
    assert "disk I/O error" in run.error

    services.statuses_recompute(year=2023)  # and the next run completes the change
    assert list(statuses().values()).count(Status.CERTIFIED) == 20


def test_a_run_records_its_progress_and_when_it_ran(
    make_ready, admin_user, django_capture_on_commit_callbacks
):
    make_ready(Commune.objects.order_by("code")[:10])
    seen = []
    record = services.statuses_recompute

    def watch(**kwargs):
        on_year_done = kwargs.pop("on_year_done")

        def progress(year, done):
            on_year_done(year, done)
            seen.append(RecomputeRun.objects.values_list("communes_done", "state").get())

        return record(on_year_done=progress, **kwargs)

    with (
        mock.patch.object(services, "statuses_recompute", watch),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = outbox.recompute_all_start(by=admin_user)
    run.refresh_from_db()
    # In-process, the task ran as the transaction committed.
    assert run.state == RecomputeRun.State.DONE
    assert (run.communes_done, run.communes_total, run.percent) == (627, 627, 100)
    assert run.started_at <= run.finished_at
    assert (run.trigger, run.requested_by) == (RecomputeRun.Trigger.DASHBOARD, admin_user)
    assert seen == [(209, "running"), (418, "running"), (627, "running")]


def test_recompute_now_twice_while_a_run_is_queued_returns_that_run(admin_user, checklist):
    with mock.patch.object(tasks.recompute_all, "delay") as delay:
        first = outbox.recompute_all_start(by=admin_user, year=2024)
        second = outbox.recompute_all_start(by=admin_user, year=2024)
        other_year = outbox.recompute_all_start(by=admin_user, year=2025)
    assert first == second != other_year
    assert RecomputeRun.objects.count() == 2
    assert delay.call_count == 0  # queued only once the transaction commits (below)


def test_recompute_now_queues_the_task_after_the_commit(
    admin_user, checklist, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.recompute_all, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = outbox.recompute_all_start(by=admin_user)
    delay.assert_called_once_with(run_id=run.pk)


def test_a_broker_that_is_down_fails_the_run_instead_of_the_page(
    admin_user, checklist, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.recompute_all, "delay", side_effect=BrokerError("refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = outbox.recompute_all_start(by=admin_user)
    run.refresh_from_db()
    assert run.state == RecomputeRun.State.FAILED
    assert "broker unavailable" in run.error


def test_a_change_still_commits_when_the_broker_is_down(
    doi_ngo, checklist, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.recompute_commune, "delay", side_effect=BrokerError("x")) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
    delay.assert_called_once_with(doi_ngo.pk, 2023)


def test_a_duplicate_delivery_of_a_finished_run_changes_nothing(make_ready, admin_user):
    make_ready(Commune.objects.order_by("code")[:5])
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.NIGHTLY, year=2023)
    tasks.recompute_all.delay(run_id=run.pk)
    computed = dict(CertificationStatus.objects.values_list("pk", "computed_at"))

    tasks.recompute_all.delay(run_id=run.pk)

    assert dict(CertificationStatus.objects.values_list("pk", "computed_at")) == computed
    assert StatusChange.objects.count() == 209


def test_a_run_redelivered_after_its_worker_died_is_finished(make_ready):
    make_ready(Commune.objects.order_by("code")[:5])
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.NIGHTLY, year=2023)
    RecomputeRun.objects.filter(pk=run.pk).update(state=RecomputeRun.State.RUNNING)

    tasks.recompute_all.delay(run_id=run.pk)

    run.refresh_from_db()
    assert run.state == RecomputeRun.State.DONE
    assert list(statuses().values()).count(Status.CERTIFIED) == 5


def test_a_transient_database_error_is_retried_and_the_run_finishes(make_ready):
    make_ready(Commune.objects.order_by("code")[:3])
    read = facts.year_facts
    calls = []

    def flaky(**kwargs):
        calls.append(RecomputeRun.objects.values_list("state", flat=True).get())
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return read(**kwargs)

    with mock.patch.object(facts, "year_facts", flaky):
        # As the nightly schedule calls it; in-process, retries happen at once (unless
        # errors are set to propagate, as elsewhere in the suite).
        tasks.recompute_all.apply(kwargs={"year": 2023}, throw=False)

    run = RecomputeRun.objects.get()  # the retry continued the same run
    assert (run.state, run.trigger, run.error) == ("done", "nightly", "")
    assert calls == ["running", "running"]
    assert list(statuses().values()).count(Status.CERTIFIED) == 3


def test_the_tasks_retry_transient_errors_with_backoff_and_jitter_and_ack_late():
    for task in (tasks.recompute_commune, tasks.recompute_all):
        assert set(task.autoretry_for) == {OperationalError, services.InterfaceError}
        assert task.retry_backoff and task.retry_jitter and task.acks_late
        assert task.max_retries >= 3


def test_the_nightly_recompute_is_scheduled_in_the_database_for_the_admin_to_edit():
    call_command("write_schedules")
    task = PeriodicTask.objects.get(task="targets.tasks.recompute_all")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("1", "30")
    assert str(task.crontab.timezone) == "Asia/Ho_Chi_Minh"


def test_in_process_mode_finishes_the_run_before_the_dashboard_gets_it(
    real_units, make_ready, province_official
):
    # `make run` has no broker: the task runs in-process once the request's write
    # commits (here autocommit, as in a view), so the first poll already reads "done".
    make_ready(Commune.objects.order_by("code")[:10])
    run = outbox.recompute_all_start(by=province_official)
    assert (run.state, run.communes_done, run.communes_total) == ("done", 627, 627)
    assert CertificationStatus.objects.filter(status=Status.CERTIFIED, year=2023).count() == 10


@pytest.mark.services  # PostgreSQL: CI runs it in its PostgreSQL pass
def test_the_reasons_are_compared_in_the_text_postgresql_prints_them(make_ready, doi_ngo, le_loi):
    if connection.vendor != "postgresql":
        skip_or_fail("SQLite stores Python's json.dumps, not jsonb")
    # The recompute compares each status's reasons with the stored jsonb's text instead of
    # decoding it: the rendering must be PostgreSQL's, or every status is written again.
    make_ready([doi_ngo], states={"TC-HS": EvidenceState.REJECTED})
    make_ready([le_loi], states={"TC-HS": EvidenceState.SUBMITTED})
    services.statuses_recompute(year=2023)
    stored = CertificationStatus.objects.filter(year=2023).exclude(reasons=[])
    reasons = list(stored.values_list("reasons", flat=True))
    assert len({r["code"] for rs in reasons for r in rs}) >= 3
    reasons.append([{"code": "x", "params": {"rate": 84.99, "s": 'Đ"\\\n', "none": None}}])
    with connection.cursor() as cursor:
        for each in reasons:
            cursor.execute("SELECT %s::jsonb::text", [json.dumps(each)])
            assert services._stored_text(each, {}) == cursor.fetchone()[0]

    before = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    written = []
    with mock.patch.object(services, "_upsert_statuses", written.append):
        # Named communes are evaluated (a run of every commune would skip them: their
        # facts did not move); nothing changed: nothing written again.
        services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk, le_loi.pk])
    assert written == [[]]
    after = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert (after.reasons, after.changed_at) == (before.reasons, before.changed_at)
    assert after.computed_at > before.computed_at  # computed now all the same

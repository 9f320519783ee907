"""Writes of the targets app: recomputing certification statuses and recording the runs.

The recompute is set-based: for one year it reads every commune's facts in a fixed
handful of queries (whatever the number of communes), applies ``targets.rules`` in
Python and writes the new or changed statuses with one upsert (and the computation time
of the others with one UPDATE). A run of every commune (the nightly one) reads and
evaluates only the communes whose facts moved since their status was computed: one
statement compares each commune's fingerprint (``targets.facts``) with the stored one, for
every year at once, and the computation time of the year (``ComputedYear``) moves for the
others. Each year is written in one transaction (those of a run of every commune, in
one), under a lock that serialises recomputes of that year, so:

- a crash in the middle leaves that year's previous statuses whole (years already
  written keep their new statuses; the run is marked failed and the retry, or the next
  night, finishes the rest);
- running it again with the same data changes nothing but ``computed_at``
  (idempotent), so a duplicate delivery of a task is harmless;
- two runs at once take turns per year, and the second reads what the first wrote, so
  a status change is recorded once.

A change of survey counts alone (an import, in its own transaction) does not evaluate
the rule again: each status keeps its survey-free part (``rules.Part``), which
``statuses_after_surveys`` composes with the new counts (``rules.compose``), reading the
stored statuses with the new counts in one statement and writing those that moved in
another, under the same per-year lock.
"""

import contextlib
import datetime
import functools
import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from communes import notifications
from communes.models import CertificationRule, Commune, in_force_q
from friendlygov import ahead, bulk
from surveys.models import SurveyYear
from targets import caching, facts, rules
from targets.models import (
    CertificationStatus,
    ComputedYear,
    PendingRecompute,
    RecomputeRun,
    StatusChange,
    YearTarget,
)

logger = logging.getLogger(__name__)

# Errors worth retrying: the database restarted, a connection dropped, a lock timed out.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

# Key of the PostgreSQL advisory lock taken while one year's statuses are recomputed
# (with the year as the second key): "FGOV".
_LOCK_NAMESPACE = 0x46474F56

STATUS_FIELDS = [
    "status",
    "reasons",
    "survey_responses",
    "survey_satisfied",
    "evidence_required",
    "evidence_approved",
    "score",
    "facts_hash",
    "rule_key",
    "facts_base",
    "evidence_score",
    "evidence_pending",
    "computed_at",
    "changed_at",
]


def commune_recompute(*, commune_id: int, year: int | None = None) -> None:
    """Recompute one commune now (the task behind ``recompute_later``); clear its request.

    The request is cleared only if this covered it (same year, or every year) and it was
    not renewed while this ran.
    """
    started = timezone.now()
    statuses_recompute(commune_ids=[commune_id], year=year)
    covered = Q() if year is None else Q(year=year)
    PendingRecompute.objects.filter(
        covered, commune_id=commune_id, requested_at__lte=started
    ).delete()


def pending_recomputes_drain(
    *, prerender: Callable[[int | None, list[int]], object] | None = None
) -> int:
    """Recompute every commune with a pending request, set-based; clear the requests.

    Run every few minutes by celery beat (and after each nightly recompute): it catches
    what could not be queued while the broker was down. ``prerender(year, commune_ids)``
    is called after each year is written (year None: every year), to render the
    dashboards it changed. Returns the communes recomputed.
    """
    started = timezone.now()
    by_year = defaultdict(list)
    for commune_id, year in PendingRecompute.objects.filter(requested_at__lte=started).values_list(
        "commune_id", "year"
    ):
        by_year[year].append(commune_id)
    for year, commune_ids in by_year.items():
        statuses_recompute(commune_ids=commune_ids, year=year)
        if prerender is not None:
            prerender(year, commune_ids)
    PendingRecompute.objects.filter(
        commune_id__in=[c for ids in by_year.values() for c in ids], requested_at__lte=started
    ).delete()
    return sum(len(ids) for ids in by_year.values())


# --- Runs -----------------------------------------------------------------------------


def recompute_run_create(
    *, trigger: str, by: User | None = None, year: int | None = None, commune: Commune | None = None
) -> RecomputeRun:
    """Record a run about to be executed (the nightly schedule, the command)."""
    return RecomputeRun.objects.create(trigger=trigger, requested_by=by, year=year, commune=commune)


def recompute_run_execute(
    *,
    run_id: int,
    will_retry: bool = False,
    prerender: Callable[[int], object] | None = None,
) -> RecomputeRun | None:
    """Execute a recorded run, keeping its state and progress up to date for pollers.

    ``prerender(year)`` (the task's: ``targets.dashboards.prerender``) is called after each
    year is written and before that year counts as done, so that the run reaches 100% and
    is done only once the dashboards it changed are rendered into the cache.

    A run that no longer exists (its transaction rolled back) is skipped; a run already
    done is left as it is, so a duplicate delivery changes nothing. On an error the run
    is marked failed, or queued again when ``will_retry`` and the error is transient,
    and the error is raised again for the caller (Celery's retry) to handle.
    """
    run = RecomputeRun.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("Recompute run %s does not exist; nothing to do", run_id)
        return None
    if run.state == RecomputeRun.State.DONE:
        return run
    runs = RecomputeRun.objects.filter(pk=run.pk)
    years = _years(run.year)
    if run.commune_id:
        total = len(years)
    else:
        total = sum(Commune.objects.in_force_in(year).count() for year in years)
    started = timezone.now()
    runs.update(
        state=RecomputeRun.State.RUNNING,
        started_at=started,
        finished_at=None,
        communes_done=0,
        communes_total=total,
        error="",
    )
    # Written, then told (as every change of a run's state or progress below).
    caching.runs_changed()
    try:
        statuses_recompute(
            year=run.year,
            commune_ids=[run.commune_id] if run.commune_id else None,
            on_year_done=lambda year, done: _year_done(runs, year, done, prerender),
        )
    except Exception as exc:
        retrying = will_retry and isinstance(exc, TRANSIENT_DB_ERRORS)
        # If the database itself is gone, the run cannot be marked; the error still goes up.
        with contextlib.suppress(DatabaseError):
            runs.update(
                state=RecomputeRun.State.QUEUED if retrying else RecomputeRun.State.FAILED,
                finished_at=None if retrying else timezone.now(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )
            caching.runs_changed()
        raise
    if not run.commune_id:
        # A full run covers every request made before it started.
        covered = Q() if run.year is None else Q(year=run.year)
        PendingRecompute.objects.filter(covered, requested_at__lte=started).delete()
    runs.update(state=RecomputeRun.State.DONE, finished_at=timezone.now())
    caching.runs_changed()
    run.refresh_from_db()
    return run


def _year_done(
    runs: "QuerySet[RecomputeRun]",
    year: int,
    done: int,
    prerender: Callable[[int], object] | None,
) -> None:
    if prerender is not None:
        prerender(year)
    runs.update(communes_done=F("communes_done") + done)
    caching.runs_changed()


# --- The recompute --------------------------------------------------------------------


def recompute_years() -> list[int]:
    """The years to recompute when none is named: those with a rule or a target."""
    years = set(CertificationRule.objects.values_list("year", flat=True))
    years |= set(YearTarget.objects.values_list("year", flat=True))
    return sorted(years)


def _years(year: int | None) -> list[int]:
    return [year] if year is not None else recompute_years()


def statuses_recompute(
    *,
    year: int | None = None,
    commune_ids: Iterable[int] | None = None,
    on_year_done: Callable[[int, int], object] | None = None,
) -> dict[int, Counter[str]]:
    """Recompute and store the statuses of ``commune_ids`` (default all) for ``year``.

    ``year`` None means every year with a rule or a target. Each year's statuses are
    written in one transaction (see the module's docstring); ``on_year_done(year,
    communes)`` is called after each year is committed. Returns, per year, how many
    communes have each status.
    """
    commune_ids = list(commune_ids) if commune_ids is not None else None
    years = _years(year)
    if commune_ids is None and bulk.is_postgresql():
        return _recompute_compared(years, on_year_done)
    counts = {}
    for each_year in years:
        counts[each_year] = _recompute_year(each_year, commune_ids)
        if on_year_done is not None:
            on_year_done(each_year, sum(counts[each_year].values()))
    return counts


def _recompute_compared(
    years: list[int], on_year_done: Callable[[int, int], object] | None
) -> dict[int, Counter[str]]:
    """Recompute every commune of ``years``, evaluating only those whose facts moved.

    A run of every commune (the nightly one) compares, for all its years at once, each
    status's fingerprint with the one of its facts now, in one statement that writes
    nothing (``facts.fingerprints_compare``); then it evaluates, in the same transaction,
    the communes whose facts moved, and moves the computation time of each year
    (``ComputedYear``): the statuses kept are left as they are, their facts, checklist and
    thresholds being what they were computed from, and the pages show the later of the
    two times (``selectors.last_computation``). A crash leaves those years as they were. A
    year without any status yet, or where no status was kept (its rule or the rule's code
    changed), is evaluated whole afterwards, in its own transaction. ``on_year_done`` is
    called for each year in order, once it is written.
    """
    # A year without any status yet is evaluated whole, without comparing.
    compared_years = [y for y in years if CertificationStatus.objects.filter(year=y).exists()]
    counts: dict[int, Counter[str]] = {}
    if compared_years:
        with transaction.atomic():
            for each_year in compared_years:  # in order, as every recompute takes them
                _lock_year(each_year)
            year_rules = [facts.year_rule(each_year) for each_year in compared_years]
            now = _now()
            _delete_not_in_force(year_rules, now)
            compared = facts.fingerprints_compare(year_rules=year_rules)
            for each_year, (moved, kept) in compared.items():
                if kept:
                    counts[each_year] = kept
                    if moved:
                        counts[each_year] += _recompute_year(each_year, moved)
                    # The statuses kept were computed now too, from the same facts: the
                    # year's time moves, not each of them (``ComputedYear``).
                    ComputedYear.objects.update_or_create(
                        year=each_year, defaults={"computed_at": now}
                    )
            # Computation times moved: the public pages show them.
            caching.public_changed()
    for each_year in years:
        if each_year not in counts:  # a first run, or a year whose rule or code changed
            counts[each_year] = _recompute_year(each_year, None)
        if on_year_done is not None:
            on_year_done(each_year, sum(counts[each_year].values()))
    return counts


def _delete_not_in_force(
    year_rules: Iterable[facts.YearRule],
    now: datetime.datetime,
    commune_ids: list[int] | None = None,
) -> None:
    """Delete the statuses (of ``commune_ids``, default all) of the units each year is not
    evaluated on (computed before a reorganization was recorded): they are not figures of
    that year. One statement that finds them; when there are any, one deleting them and
    one per year moving their provinces' stamps (``ComputedProvince``)."""
    gone = Q()
    for rule in year_rules:
        gone |= Q(year=rule.year) & ~in_force_q(rule.on, prefix="commune__")
    if not gone:
        return
    statuses = CertificationStatus.objects.filter(gone)
    if commune_ids is not None:
        statuses = statuses.filter(commune_id__in=bulk.ids_in(commune_ids))
    deleted = list(statuses.values_list("pk", "year", "commune_id"))
    if not deleted:
        return
    CertificationStatus.objects.filter(pk__in=bulk.ids_in(pk for pk, *_ in deleted)).delete()
    by_year: defaultdict[int, list[int]] = defaultdict(list)
    for _pk, year, commune_id in deleted:
        by_year[year].append(commune_id)
    # One statement per year with deletions: after a reorganization is recorded.
    for year, commune_ids in sorted(by_year.items()):
        _provinces_stamp(year, commune_ids, now)


def _now() -> datetime.datetime:
    # To the millisecond, as JSON carries the changes' times (DjangoJSONEncoder), so that
    # a status and its change hold the same time.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _recompute_year(year: int, commune_ids: list[int] | None) -> Counter[str]:
    """Evaluate ``commune_ids`` (default every commune in force) for ``year`` and store
    what changed, in one transaction under the year's lock."""
    with transaction.atomic():
        _lock_year(year)
        rule = facts.year_rule(year)
        stored = CertificationStatus.objects.filter(year=year)
        if commune_ids is not None:
            stored = stored.filter(commune_id__in=bulk.ids_in(commune_ids))
        now = _now()
        # A status of a unit the year is not evaluated on (computed before a reorganization
        # was recorded) is not a figure of that year.
        _delete_not_in_force([rule], now, commune_ids)
        # Written as text once, not per row.
        at = now.isoformat()
        counts: Counter[str] = Counter()
        verdicts = {}
        for commune_id, commune_facts in facts.year_facts(
            rule=rule, commune_ids=commune_ids
        ).items():
            part = rule.part(commune_facts)
            responses, satisfied = commune_facts.responses, commune_facts.satisfied
            base = rule.base(commune_facts)
            verdicts[commune_id] = (
                rule.compose(part, responses, satisfied),
                facts.facts_hash(base, responses, satisfied),
                base,
                part,
            )
        # The stored figures, the reasons as the database's text: decoding a country's
        # stored reasons took longer than computing them.
        previous = {
            row[0]: row[1:]
            for row in bulk.rows(
                stored.order_by().values_list(
                    "commune_id", *COMPARED_FIELDS, "changed_at", Cast("reasons", TextField())
                )
            )
        }
        rendered: dict[Any, str] = {}
        rows, changes, same = [], [], []
        for commune_id, (verdict, fingerprint, base, part) in verdicts.items():
            status = verdict.status
            counts[status] += 1
            figures = (
                status,
                verdict.survey_responses,
                verdict.survey_satisfied,
                verdict.evidence_required,
                verdict.evidence_approved,
                verdict.score,
                fingerprint,
                rule.key,
                base,
                part.score,
                part.pending,
            )
            old = previous.get(commune_id)
            if (
                old is not None
                and old[:-2] == figures
                and old[-1] == _stored_text(verdict.reasons, rendered)
            ):
                same.append(commune_id)
                continue
            old_status, old_changed_at = (old[0], old[-2]) if old is not None else ("", None)
            changed = old_status != status
            # New or changed (or stored in another text form: written again, harmless).
            rows.append(
                (
                    commune_id,
                    year,
                    status,
                    verdict.reasons,
                    verdict.survey_responses,
                    verdict.survey_satisfied,
                    verdict.evidence_required,
                    verdict.evidence_approved,
                    verdict.score,
                    fingerprint,
                    rule.key,
                    base,
                    part.score,
                    part.pending,
                    at,
                    at if changed or old_changed_at is None else old_changed_at,
                )
            )
            if changed:
                changes.append(_change(commune_id, year, old_status, status, now))
        if same:
            stored.filter(commune_id__in=bulk.ids_in(same)).update(computed_at=now)
        _upsert_statuses(rows)
        # Every commune evaluated was written or had its time moved.
        _provinces_stamp(year, verdicts, now)
        _changes_told(changes)
    return counts


def _change(commune_id: int, year: int, old: str, new: str, at: datetime.datetime) -> StatusChange:
    return StatusChange(commune_id=commune_id, year=year, from_status=old, to_status=new, at=at)


def _changes_told(changes: list[StatusChange]) -> None:
    """Once a recompute has written its statuses: store the status changes, notify those
    who follow them, and tell the public pages (the bulk writes send no signal)."""
    _insert_changes(changes)
    notifications.status_changes(changes)
    caching.public_changed()


# --- After a change of survey counts alone ------------------------------------------


# Per year, what gives its rule and its stored statuses as ``_survey_rows`` reads them,
# read ahead (None when they could not be).
SurveysRead = Mapping[int, Callable[[], tuple[facts.YearRule, list[tuple[Any, ...]]] | None]]


def statuses_after_surveys(
    *,
    pairs: Iterable[tuple[int, int]],
    added: Mapping[tuple[int, int], tuple[int, int]] | None = None,
    read_ahead: SurveysRead | None = None,
    first: Callable[[], None] | None = None,
) -> dict[int, Counter[str]]:
    """Recompute the statuses of (commune id, year) ``pairs`` whose survey counts alone
    changed (an import, an answer, a deletion), in the caller's transaction.

    The rule without the survey counts (``rules.Part``: rules 1 and 2, the evidence's
    points) is stored with each status; here it is composed with the year's new counts
    (``rules.compose``, the rule's own code), so neither the evidence nor the committees
    are read. Per year: the year's rule (three queries), one statement reading the stored
    statuses with the new counts, one writing those that changed per ``SURVEY_UPDATE_ROWS``
    of them (sent while the next year is composed), one moving the computation time of
    those that did not, and the status changes and their notifications. A pair is
    evaluated whole (``_recompute_year``) when it has no status, when its status was
    computed under another rule, checklist or code (``rule_key``), when its commune is not
    in force in the year, or when a recompute was asked for it (its other facts may have
    moved since its status was computed). The statuses, reasons, figures and fingerprints
    are those a whole evaluation gives. Returns, per year, how many of the pairs have each
    status.

    The importer passes more, so that PostgreSQL works while Python composes:

    - ``first``: its own writes that the new counts come from (the roll-up's upsert), sent
      first without waiting for them, in a pipeline with the year locks;
    - ``read_ahead``: what ``statuses_read_ahead`` began reading on a second connection while
      its file was still being written (the rules, the stored statuses and the committed
      counts), with ``added``, what the caller adds to those counts per (commune id,
      year). The statuses are composed from that read; meanwhile, under the year locks
      and after ``first``, one statement per year finds the communes whose stored
      status, counts or recompute request moved since it was read (``_survey_stale``,
      sent before the year is composed), and those are read again and composed as
      without a read ahead, before anything is written.
    """
    by_year = _pairs_by_year(pairs)
    counts: dict[int, Counter[str]] = {}
    with transaction.atomic():
        plans = []
        with bulk.pipelined():
            if first is not None:
                first()
            for year in sorted(by_year):  # in order, as every recompute takes them
                _lock_year(year)
            for year, commune_ids in sorted(by_year.items()):
                # Waits for this year's read alone: the next is read while this one is
                # composed.
                getter = read_ahead.get(year) if read_ahead and added is not None else None
                read = getter() if getter is not None else None
                if read is not None:
                    rule, rows = read
                    plan = _survey_plan_ahead(year, commune_ids, rule, rows, added or {})
                else:
                    plan = _survey_plan(year, commune_ids)
                # Sent in the pipeline: PostgreSQL writes them while the next year is
                # composed.
                plan.send()
                plans.append(plan)
        for plan in plans:
            counts[plan.year] = plan.finish()
    return counts


def _pairs_by_year(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    by_year: defaultdict[int, set[int]] = defaultdict(set)
    for commune_id, year in pairs:
        by_year[year].add(commune_id)
    return dict(by_year)


def statuses_read_ahead(*, pairs: Iterable[tuple[int, int]]) -> SurveysRead | None:
    """Begin reading, on a second connection (``friendlygov.ahead``), what
    ``statuses_after_surveys`` composes for ``pairs``: each year's rule and the pairs'
    stored statuses with their committed survey counts, a year after another. Returns
    what gives each year's read (which gives None when it could not go ahead: then the
    statuses are read under the year locks, as without it), or None when nothing can be
    read ahead (SQLite, ``READ_AHEAD`` off).

    Read outside the caller's transaction, before the year locks: ``statuses_after_
    surveys`` checks under the locks what moved since (``_survey_stale``)."""
    by_year = _pairs_by_year(pairs)
    if not by_year or not ahead.available(in_transaction=True):
        return None
    caller = threading.get_ident()

    def read(year: int) -> tuple[facts.YearRule, list[tuple[Any, ...]]] | None:
        if threading.get_ident() == caller:
            return None  # the thread was busy: read under the locks instead
        rule = facts.year_rule(year)
        return rule, _survey_rows(year, rule, by_year[year])

    years = sorted(by_year)
    results = ahead.start(*(functools.partial(read, year) for year in years), in_transaction=True)
    return dict(zip(years, results, strict=True))


def _survey_rows(year: int, rule: facts.YearRule, commune_ids: set[int]) -> list[tuple[Any, ...]]:
    """The stored statuses of ``year`` of ``commune_ids`` beside their survey counts from
    the roll-up, one statement: the fields ``_SurveyPlan.compose`` unpacks."""
    ids = bulk.ids_in(commune_ids)
    stored = (
        CertificationStatus.objects.filter(year=year, commune_id__in=ids)
        .order_by()
        .annotate(
            in_force=ExpressionWrapper(
                in_force_q(rule.on, prefix="commune__"), output_field=BooleanField()
            ),
            asked=Exists(
                PendingRecompute.objects.filter(
                    Q(year=None) | Q(year=year), commune_id=OuterRef("commune_id")
                )
            ),
            reasons_text=Cast("reasons", TextField()),
            version=_row_version(),
        )
        .values_list(
            "pk",
            "commune_id",
            "in_force",
            "asked",
            "rule_key",
            "status",
            "survey_responses",
            "survey_satisfied",
            "evidence_required",
            "evidence_approved",
            "score",
            "facts_hash",
            "facts_base",
            "evidence_score",
            "evidence_pending",
            "reasons_text",
            "version",
        )
    )
    # The year's survey counts of the same communes, from the roll-up, beside each stored
    # status: one statement.
    sums = (
        SurveyYear.objects.filter(year=year, commune_id__in=ids)
        .order_by()
        .values_list("commune_id", "responses", "satisfied")
    )
    stored_sql, stored_params = stored.query.sql_with_params()
    sums_sql, sums_params = sums.query.sql_with_params()
    # Bound by PostgreSQL: the communes' ids go as arrays, not spelled into the text.
    with bulk.bound_cursor() as cursor:
        # Both texts are the ORM's, of the querysets above; the values are parameters.
        cursor.execute(
            f"SELECT t.*, s.responses, s.satisfied FROM ({stored_sql}) t "  # noqa: S608  # nosec B608
            f"LEFT JOIN ({sums_sql}) s ON s.commune_id = t.commune_id",
            [*stored_params, *sums_params],
        )
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _row_version() -> RawSQL:
    """Which version of a stored status was read: PostgreSQL's ``xmin``, the transaction
    that wrote it (any write makes a new one), so that a status read ahead can be found
    to have moved since; nothing elsewhere (SQLite reads nothing ahead)."""
    sql = "targets_certificationstatus.xmin::text::bigint" if bulk.is_postgresql() else "0"
    return RawSQL(sql, (), output_field=BigIntegerField())  # noqa: S611  # nosec B611 (a fixed text)


def _survey_plan(year: int, commune_ids: set[int]) -> "_SurveyPlan":
    """The statuses of ``commune_ids`` composed from what they store now (under the year
    lock), to be sent."""
    rule = facts.year_rule(year)
    plan = _SurveyPlan(year, rule)
    plan.compose(_survey_rows(year, rule, commune_ids))
    # Those without a stored status are evaluated whole.
    plan.whole |= commune_ids - plan.seen
    return plan


def _survey_plan_ahead(
    year: int,
    commune_ids: set[int],
    rule: facts.YearRule,
    rows: list[tuple[Any, ...]],
    added: Mapping[tuple[int, int], tuple[int, int]],
) -> "_SurveyPlan":
    """The statuses of ``commune_ids`` composed from ``rows`` read ahead, with ``added``
    to their counts; then, under the year lock, those that moved since they were read
    (or were not read: no status then) are read again and composed (``_survey_plan``)."""
    none = (0, 0)
    with_counts = []
    for row in rows:
        n, s = added.get((row[1], year), none)
        with_counts.append((*row[:-2], (row[-2] or 0) + n, (row[-1] or 0) + s))
    plan = _SurveyPlan(year, rule)
    checks = [(row[1], row[16], row[17], row[18]) for row in with_counts]
    # Asked before composing: in the caller's pipeline, PostgreSQL answers (after the
    # roll-up's upsert) while Python composes.
    with _survey_stale(year, checks) as moved:
        plan.compose(with_counts)
        again = (commune_ids - plan.seen) | moved()
    if again:
        plan.drop(again)
        plan.again = _survey_plan(year, again)
    return plan


# The communes of a year whose status, survey counts or recompute request moved since
# they were read ahead: each given as (commune id, version of its status, responses,
# satisfied) in four arrays; the counts are compared with the roll-up as the caller's
# transaction sees it (its own upsert included).
_STALE_SQL = """
SELECT v.commune_id
FROM unnest(%(communes)s::bigint[], %(versions)s::bigint[], %(responses)s::integer[],
            %(satisfied)s::integer[]) AS v(commune_id, version, responses, satisfied)
LEFT JOIN targets_certificationstatus t ON t.commune_id = v.commune_id AND t.year = %(year)s
LEFT JOIN surveys_surveyyear s ON s.commune_id = v.commune_id AND s.year = %(year)s
WHERE t.id IS NULL
   OR t.xmin::text::bigint <> v.version
   OR coalesce(s.responses, 0) <> v.responses
   OR coalesce(s.satisfied, 0) <> v.satisfied
   OR EXISTS (
       SELECT 1 FROM targets_pendingrecompute p
       WHERE p.commune_id = v.commune_id AND (p.year IS NULL OR p.year = %(year)s)
   )
"""


@contextlib.contextmanager
def _survey_stale(
    year: int, checks: list[tuple[int, int, int, int]]
) -> Iterator[Callable[[], set[int]]]:
    """``_STALE_SQL`` (PostgreSQL: only there is anything read ahead), sent on entering
    the block, which is given what reads its answer. Under the year lock, no other
    recompute writes a status of the year until the commit, and the caller's upsert holds
    its communes' roll-up rows."""
    if not checks:
        yield set
        return
    communes, versions, responses, satisfied = zip(*checks, strict=True)
    with bulk.bound_cursor() as cursor:
        cursor.execute(
            _STALE_SQL,
            {
                "year": year,
                "communes": bulk.array_text(communes),
                "versions": bulk.array_text(versions),
                "responses": bulk.array_text(responses),
                "satisfied": bulk.array_text(satisfied),
            },
        )
        yield lambda: {row[0] for row in cursor.fetchall()}


class _SurveyPlan:
    """One year's statuses composed with new survey counts (``statuses_after_surveys``):
    what to write, sent with ``send``; the rest (computation times, province stamps,
    status changes, the pairs evaluated whole) done by ``finish``."""

    def __init__(self, year: int, rule: facts.YearRule):
        self.year, self.rule = year, rule
        self.now = _now()
        # The communes with a stored status read, and those to evaluate whole.
        self.seen: set[int] = set()
        self.whole: set[int] = set()
        # Per composed commune: its new status; its row to write (see
        # ``_update_survey_figures``) or its status's id when only the time moves; the
        # change of its status.
        self.statuses: dict[int, str] = {}
        self.written: dict[int, tuple[Any, ...]] = {}
        self.same: dict[int, int] = {}
        self.changes: dict[int, StatusChange] = {}
        # The communes composed again, under the lock, after a read ahead.
        self.again: _SurveyPlan | None = None

    def compose(self, rows: Iterable[tuple[Any, ...]]) -> None:
        year, rule, now = self.year, self.rule, self.now
        rendered: dict[Any, str] = {}
        # The stored reasons split into the part's and the survey ones, by their text:
        # many statuses share theirs.
        split: dict[str, tuple[Any, list[Any]]] = {}
        # What a part composes to when the survey test is met, by the part (its stored
        # reasons and evidence figures): then no survey count is in it
        # (``rules.survey_met``), and a country's statuses share a few thousand parts.
        met: dict[tuple[Any, ...], tuple[str, int, list[Any], list[Any]]] = {}
        key = rule.key
        seen, whole, statuses = self.seen, self.whole, self.statuses
        written, same, changes = self.written, self.same, self.changes
        for (
            pk,
            commune_id,
            in_force,
            asked,
            rule_key,
            old_status,
            old_responses,
            old_satisfied,
            required,
            approved,
            old_score,
            old_hash,
            base,
            evidence_score,
            evidence_pending,
            old_text,
            _version,
            responses,
            satisfied,
        ) in rows:
            seen.add(commune_id)
            if rule_key != key or asked or not in_force:
                whole.add(commune_id)
                continue
            responses, satisfied = responses or 0, satisfied or 0
            old = split.get(old_text)
            if old is None:
                old = split[old_text] = rules.split_reasons(json.loads(old_text))
            part_reasons, old_survey_reasons = old
            part_key = None
            composed = None
            if rule.survey_met(responses, satisfied):
                part_key = (old_text, required, approved, evidence_score, evidence_pending)
                composed = met.get(part_key)
            if composed is None:
                verdict = rule.compose(
                    rules.Part(part_reasons, required, approved, evidence_score, evidence_pending),
                    responses,
                    satisfied,
                )
                composed = (
                    verdict.status,
                    verdict.score,
                    verdict.reasons,
                    rules.survey_reasons_of(verdict.reasons),
                )
                if part_key is not None:
                    met[part_key] = composed
            status, score, reasons, survey_reasons = composed
            statuses[commune_id] = status
            fingerprint = facts.facts_hash(base, responses, satisfied)
            # The part's reasons are those stored: the reasons changed only if the survey
            # and score ones did (then they are written again, as jsonb prints them).
            text = None
            if survey_reasons != old_survey_reasons:
                text = _text_with(
                    old_text, old_survey_reasons, survey_reasons, rendered
                ) or _stored_text(reasons, rendered)
            if text is None and (status, responses, satisfied, score, fingerprint) == (
                old_status,
                old_responses,
                old_satisfied,
                old_score,
                old_hash,
            ):
                same[commune_id] = pk
                continue
            changed = status != old_status
            written[commune_id] = (
                pk,
                status,
                text,
                responses,
                satisfied,
                score,
                fingerprint,
                changed,
            )
            if changed:
                changes[commune_id] = _change(commune_id, year, old_status, status, now)

    def drop(self, commune_ids: set[int]) -> None:
        """Forget what was composed for ``commune_ids``."""
        for commune_id in commune_ids:
            self.seen.discard(commune_id)
            self.whole.discard(commune_id)
            self.statuses.pop(commune_id, None)
            self.written.pop(commune_id, None)
            self.same.pop(commune_id, None)
            self.changes.pop(commune_id, None)

    def send(self) -> None:
        """Write the statuses whose figures moved, ``SURVEY_UPDATE_ROWS`` a statement (in
        a pipeline, without waiting for them)."""
        rows = list(self.written.values())
        for start in range(0, len(rows), SURVEY_UPDATE_ROWS):
            _update_survey_figures(rows[start : start + SURVEY_UPDATE_ROWS], self.now)
        if self.again is not None:
            self.again.send()

    def finish(self) -> Counter[str]:
        """What follows the writes; returns how many of the pairs have each status."""
        if self.same:
            CertificationStatus.objects.filter(pk__in=bulk.ids_in(self.same.values())).update(
                computed_at=self.now
            )
        # The communes written or whose time moved (those evaluated whole below, or
        # again, stamp their own provinces).
        _provinces_stamp(self.year, set(self.statuses), self.now)
        if self.statuses:
            _changes_told(list(self.changes.values()))
        counts = Counter(self.statuses.values())
        if self.again is not None:
            counts += self.again.finish()
        if self.whole:
            counts += _recompute_year(self.year, sorted(self.whole))
        return counts


# How many statuses one statement of ``_SurveyPlan.send`` writes: a national import's
# 21,000 in about ten statements, each written while the next year is composed.
SURVEY_UPDATE_ROWS = 2000


# The statuses whose survey figures moved (rows of id, status, reasons as jsonb's text or
# null when they did not change, responses, satisfied, score, fingerprint, whether the
# status changed), written in one statement whose one parameter is a JSON array of them,
# each an array (as objects, their keys would cost a national import 60 ms more to
# encode); the time of the computation, and of the change, is the other.
_SURVEY_UPDATE_SQL = {
    "postgresql": """
UPDATE targets_certificationstatus t
SET status = v.status, reasons = coalesce(v.reasons::jsonb, t.reasons),
    survey_responses = v.responses,
    survey_satisfied = v.satisfied, score = v.score, facts_hash = v.hash,
    computed_at = %(at)s::timestamptz,
    changed_at = CASE WHEN v.changed THEN %(at)s::timestamptz ELSE t.changed_at END
FROM (
    SELECT (e->>0)::bigint AS id, e->>1 AS status, e->>2 AS reasons,
           (e->>3)::integer AS responses, (e->>4)::integer AS satisfied,
           (e->>5)::integer AS score, e->>6 AS hash, (e->>7)::boolean AS changed
    FROM jsonb_array_elements(%(rows)s::jsonb) AS e
) AS v
WHERE t.id = v.id
""",
    "sqlite": """
UPDATE targets_certificationstatus
SET status = v.status,
    reasons = coalesce(v.reasons, targets_certificationstatus.reasons),
    survey_responses = v.responses, survey_satisfied = v.satisfied, score = v.score,
    facts_hash = v.hash, computed_at = %(at)s,
    changed_at = CASE WHEN v.changed THEN %(at)s ELSE targets_certificationstatus.changed_at END
FROM (
    SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS status,
           json_extract(value, '$[2]') AS reasons,
           json_extract(value, '$[3]') AS responses,
           json_extract(value, '$[4]') AS satisfied,
           json_extract(value, '$[5]') AS score, json_extract(value, '$[6]') AS hash,
           json_extract(value, '$[7]') AS changed
    FROM json_each(%(rows)s)
) AS v
WHERE targets_certificationstatus.id = v.id
""",
}


def _update_survey_figures(rows: list[tuple[Any, ...]], now: datetime.datetime) -> None:
    if not rows:
        return
    payload = json.dumps(rows, separators=(",", ":"))
    at: Any = now if bulk.is_postgresql() else connection.ops.adapt_datetimefield_value(now)
    with bulk.bound_cursor() as cursor:
        cursor.execute(_SURVEY_UPDATE_SQL[connection.vendor], {"at": at, "rows": payload})


# The stamps of a year of the provinces of communes (``ComputedProvince``) moved to a
# time, never back, in one statement: the communes' ids go as one array (PostgreSQL) or
# one JSON array (SQLite).
_STAMP_SQL = {
    "postgresql": """
INSERT INTO targets_computedprovince AS p (year, province_id, computed_at)
SELECT DISTINCT %(year)s::smallint, province_id, %(at)s::timestamptz
FROM communes_commune WHERE id = ANY(%(communes)s::bigint[])
ON CONFLICT (year, province_id)
DO UPDATE SET computed_at = greatest(p.computed_at, EXCLUDED.computed_at)
""",
    # (SQLite's parser needs the SELECT's WHERE before an upsert's ON CONFLICT.)
    "sqlite": """
INSERT INTO targets_computedprovince (year, province_id, computed_at)
SELECT DISTINCT %(year)s, province_id, %(at)s
FROM communes_commune WHERE id IN (SELECT value FROM json_each(%(communes)s))
ON CONFLICT (year, province_id)
DO UPDATE SET computed_at = max(targets_computedprovince.computed_at, excluded.computed_at)
""",
}


def _provinces_stamp(year: int, commune_ids: Iterable[int], at: datetime.datetime) -> None:
    """Move to ``at`` the stamps of ``year`` of the provinces of ``commune_ids``, whose
    statuses were written, had their time moved or were deleted: what tells the dashboards
    of those provinces, and of the country, that their figures may have moved
    (``selectors.last_computed_at``). In the writer's transaction; nothing without
    communes. (By the communes' ids, one year at a time: for a country's 10,600 communes
    a quarter of the time of a join on (year, commune) pairs.)"""
    ids = sorted(set(commune_ids))
    if not ids:
        return
    if bulk.is_postgresql():
        params: dict[str, Any] = {"year": year, "at": at, "communes": bulk.array_text(ids)}
    else:
        params = {
            "year": year,
            "at": connection.ops.adapt_datetimefield_value(at),
            "communes": json.dumps(ids),
        }
    with bulk.bound_cursor() as cursor:
        cursor.execute(_STAMP_SQL[connection.vendor], params)


# What a recompute compares with the stored status, besides the reasons: a status whose
# figures are all the same is left as it is (only its ``computed_at`` moves), so the
# nightly run of a country where little changed writes little.
COMPARED_FIELDS = [
    "status",
    "survey_responses",
    "survey_satisfied",
    "evidence_required",
    "evidence_approved",
    "score",
    "facts_hash",
    "rule_key",
    "facts_base",
    "evidence_score",
    "evidence_pending",
]


def _stored_text(reasons: list[dict[str, Any]], rendered: dict[Any, str]) -> str:
    """``reasons`` as PostgreSQL prints a ``jsonb`` value (keys shortest first, then in
    byte order; ", " and ": " between), to compare with the stored text without decoding
    it. Each distinct reason is rendered once and kept in ``rendered``: a country's
    statuses repeat a few thousand of them. Another stored form (SQLite keeps Python's
    ``json.dumps``) only makes the status be written again."""
    return f"[{', '.join(_reason_text(reason, rendered) for reason in reasons)}]"


def _reason_text(reason: dict[str, Any], rendered: dict[Any, str]) -> str:
    """One reason as jsonb prints it, rendered once per distinct reason (kept in
    ``rendered``)."""
    params = reason.get("params")
    key = None
    if len(reason) == 2 and isinstance(params, dict):
        # The type beside each value: 1, 1.0 and True are equal keys, not equal text.
        key = (reason["code"], *((k, v.__class__, v) for k, v in params.items()))
    try:
        text = rendered.get(key) if key is not None else None
    except TypeError:  # a value that cannot be a key (a list): rendered each time
        key = text = None
    if text is None:
        text = _jsonb_text(reason)
        if key is not None:
            rendered[key] = text
    return text


def _text_with(
    stored: str, old: list[dict[str, Any]], new: list[dict[str, Any]], rendered: dict[Any, str]
) -> str | None:
    """The ``stored`` reasons' text (as jsonb prints them) with its survey and score
    reasons ``old`` replaced by ``new``, when they have the same codes in the same order
    (a rate, a count or a score moved): the other reasons, and so the places of these,
    are the same. Each old one must be found once in the text. None otherwise (then the
    whole list is rendered). A national import changes the survey reasons of a few
    thousand statuses, each of a dozen reasons: one short text for each instead of all of
    them, rendered once per distinct reason (kept in ``rendered``)."""
    codes = [reason["code"] for reason in old]
    if codes != [reason["code"] for reason in new] or len(set(codes)) != len(codes):
        return None
    text = stored
    for before, after in zip(old, new, strict=True):
        # Their codes are names, their parameters plain values: the reason ends at the
        # first "}}".
        code = before["code"]
        if not code.isidentifier() or any(
            isinstance(value, dict | list) for value in before["params"].values()
        ):
            return None
        opening = f'{{"code": "{code}", "params": {{'
        start = text.find(opening)
        if start < 0 or text.find(opening, start + 1) >= 0:
            return None
        end = text.find("}}", start) + 2
        text = f"{text[:start]}{_reason_text(after, rendered)}{text[end:]}"
    return text


# Made once: ``json.dumps`` with an option builds an encoder on every call.
_JSONB_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _jsonb_text(value: Any) -> str:
    # One call of the C encoder on a copy in jsonb's key order (its default separators
    # are jsonb's).
    return _JSONB_ENCODER.encode(_jsonb_order(value))


def _jsonb_order(value: Any) -> Any:
    # Only containers are copied: a reason's values are mostly plain.
    if isinstance(value, dict):
        return {
            key: _jsonb_order(value[key]) if isinstance(value[key], dict | list) else value[key]
            for key in sorted(value, key=_jsonb_key)
        }
    if isinstance(value, list):
        return [_jsonb_order(item) if isinstance(item, dict | list) else item for item in value]
    return value


@functools.lru_cache(maxsize=1024)
def _jsonb_key(key: str) -> tuple[int, bytes]:
    # A handful of keys (code, params, criterion, rate...), each encoded once.
    encoded = key.encode()
    return len(encoded), encoded


def _upsert_statuses(rows: list[tuple[Any, ...]]) -> None:
    """Insert or update the rows (commune id, year, then ``STATUS_FIELDS``) in one
    statement (INSERT ... ON CONFLICT DO UPDATE)."""
    bulk.bulk_upsert(
        CertificationStatus, rows, unique_fields=["commune", "year"], update_fields=STATUS_FIELDS
    )


def _insert_changes(changes: list[StatusChange]) -> None:
    bulk.bulk_insert(
        StatusChange, changes, fields=["commune", "year", "from_status", "to_status", "at"]
    )


def _lock_year(year: int) -> None:
    """Serialise recomputes of ``year`` until the current transaction ends."""
    with connection.cursor() as cursor:
        if bulk.is_postgresql():
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, year])
        else:
            # SQLite has one writer at a time. Writing first takes that lock now (waiting
            # up to the busy timeout for another run); reading first and writing later
            # would instead fail at once with "database is locked" when two runs meet.
            table = CertificationStatus._meta.db_table
            # The table name is the model's own, not input.
            cursor.execute(f"UPDATE {table} SET year = year WHERE 1 = 0")  # noqa: S608  # nosec B608


def statuses_evaluate(
    *, year: int, commune_ids: Iterable[int] | None = None
) -> dict[int, rules.Verdict]:
    """Apply the rule to the facts of ``commune_ids`` (default all) for ``year``; no writes.

    Six queries whatever the number of communes: the rule, the active criteria, the
    year's reference date, the communes with their earliest committee, the year's
    evidence, and the survey counts (``targets.facts``).
    """
    rule = facts.year_rule(year)
    return {
        commune_id: rule.evaluate(commune_facts)
        for commune_id, commune_facts in facts.year_facts(
            rule=rule, commune_ids=commune_ids
        ).items()
    }

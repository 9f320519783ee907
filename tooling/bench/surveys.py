"""Measurements 3 and 4 of ``manage.py bench``: the recompute, and the survey import end
to end, each beside what PostgreSQL alone needs for the same work.

3. ``recompute_all`` (a recorded run) beside one statement that computes and writes the
   same statuses (``reference.statuses``); both read the survey roll-up. Also the nightly
   run after 1% of the communes changed, and the first run (every status new).
4. The importer on a CSV, end to end: read, check, write, roll up, and recompute the
   communes and years it touched (in the import's transaction, as production does it);
   beside COPY of the same rows into a table of the survey table's columns without any
   index.

Nothing stays: what a measurement writes is rolled back.
"""

import datetime
import secrets
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, Min, Value, When
from django.test.utils import override_settings

from communes.models import Commune, Evidence, EvidenceState
from surveys.models import ImportBatch, SurveyResponse, SurveyYear
from targets import services
from targets.models import CertificationStatus, RecomputeRun, StatusChange
from tooling.bench import reference, scale
from tooling.bench.measure import Row, _s, median_time, timed

# --- 3: the recompute --------------------------------------------------------------------


def measure_recompute() -> list[Row]:
    """3: ``recompute_all`` (a recorded run, as the nightly task does it) beside one
    hand-written statement computing and writing the same statuses; and the first
    recompute, when every status is new (rolled back)."""
    communes = Commune.objects.count()
    responses = SurveyResponse.objects.count()
    rollup_rows = SurveyYear.objects.count()
    years = services.recompute_years()
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.COMMAND)
    portal = timed(lambda: services.recompute_run_execute(run_id=run.pk))
    computed = {}
    raw = median_time(
        lambda: computed.update(reference.statuses(years=years, write=True)), runs=3, warmup=0
    )
    stored = {
        (commune, year): status
        for commune, year, status in CertificationStatus.objects.filter(year__in=years).values_list(
            "commune_id", "year", "status"
        )
    }
    same = sum(1 for key, status in computed.items() if stored.get(key) == status)
    certified_same = {k for k, s in computed.items() if s == "CERTIFIED"} == {
        k for k, s in stored.items() if s == "CERTIFIED"
    }
    nightly, moved = _nightly_after_changes(share=0.01)
    with transaction.atomic():
        CertificationStatus.objects.filter(year__in=years).delete()
        first = timed(services.statuses_recompute)
        transaction.set_rollback(True)
    scale.analyze(CertificationStatus, StatusChange)  # what autovacuum does after it
    return [
        Row(
            "3",
            f"recompute_all: {communes:,} communes x {len(years)} years, {responses:,} "
            f"responses ({rollup_rows:,} roll-up rows)",
            _s(portal),
            f"one SQL statement {_s(raw)}",
            f"{portal / raw:.2f}x",
            "<= 1.2x",
            portal <= 1.2 * raw,
        ),
        Row(
            "3",
            f"  same statuses as the SQL: {same:,} of {len(computed):,}; "
            f"same certified set: {'yes' if certified_same else 'NO'}",
            "",
            goal="same",
            met=same == len(computed) == len(stored) and certified_same,
        ),
        Row(
            "3",
            f"  nightly run after 1% of the communes changed ({moved:,} pieces of evidence "
            "moved state), rolled back",
            _s(nightly),
            f"one SQL statement {_s(raw)}",
            f"{nightly / raw:.2f}x",
        ),
        Row(
            "3",
            "  first recompute (every status new), rolled back",
            _s(first),
            f"one SQL statement {_s(raw)}",
            f"{first / raw:.2f}x",
        ),
    ]


def _nightly_after_changes(*, share: float) -> tuple[float, int]:
    """A recorded run of every commune and year after one piece of evidence of ``share``
    of the communes moved state in each year (approved to submitted, or back), as a day
    of reviews leaves it; rolled back. Returns its time and the pieces moved."""
    with transaction.atomic():
        communes = list(Commune.objects.order_by("pk").values_list("pk", flat=True))
        chosen = communes[:: round(1 / share)]
        first_each_year = (
            Evidence.objects.filter(commune_id__in=chosen)
            .exclude(state=EvidenceState.DRAFT)
            .values("commune_id", "year")
            .annotate(first=Min("pk"))
            .values("first")
        )
        moved = Evidence.objects.filter(pk__in=first_each_year).update(
            state=Case(
                When(state=EvidenceState.APPROVED, then=Value(EvidenceState.SUBMITTED)),
                default=Value(EvidenceState.APPROVED),
            )
        )
        run = services.recompute_run_create(trigger=RecomputeRun.Trigger.COMMAND)
        seconds = timed(lambda: services.recompute_run_execute(run_id=run.pk))
        transaction.set_rollback(True)
    return seconds, moved


# --- 4: the survey import -----------------------------------------------------------------

IMPORT_QUESTIONS = [f"Q{n}" for n in range(1, 12)]


def _import_communes(first: datetime.date, last: datetime.date) -> list[str]:
    """The codes of the communes a file of ``first`` to ``last`` may name: in force on
    both days (the units of the 2023 map that no reorganization touched)."""
    both = Commune.objects.in_force(on=first) & Commune.objects.in_force(on=last)
    return sorted(set(both.values_list("code", flat=True)))


def write_import_csv(path, *, rows: int) -> None:
    """A valid import file of ``rows`` rows spread over every commune and over 2024-2025:
    the columns of the contract and one per question (Q11 the overall one), ISO dates."""
    import csv
    import random

    from django.utils import timezone

    rng = random.Random(20240101)  # noqa: S311 (benchmark data)
    first = datetime.date(2024, 1, 1)
    days = min((timezone.localdate() - first).days + 1, 730)
    codes = _import_communes(first, first + datetime.timedelta(days=days - 1))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["commune_code", "answered_on", "satisfied", *IMPORT_QUESTIONS])
        for n in range(rows):
            satisfied = rng.random() < 0.9
            scores = [rng.choice("45" if satisfied else "123") for _ in IMPORT_QUESTIONS]
            day = first + datetime.timedelta(days=rng.randrange(days))
            writer.writerow([codes[n % len(codes)], day.isoformat(), int(satisfied), *scores])


def _memory_kb(field: str) -> int | None:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_memory() -> bool:
    """Start counting this process's peak memory afresh (Linux: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def import_end_to_end(path, *, by=None) -> dict:
    """Import ``path`` with the importer of the web page, as ``by``, which recomputes the
    statuses of the communes and years it touched in its own transaction (``communes.
    hooks.recompute_after_surveys``, which also adds the file's counts to the roll-up),
    deferred constraints checked as a commit would. In the caller's transaction. Returns
    the times of each part: the recompute's (with the roll-up's upsert) is timed around
    the hook, inside the import."""
    from pathlib import Path

    from communes import hooks
    from surveys.importing import survey_file_import
    from targets import outbox

    recompute = {"seconds": 0.0, "pairs": 0}

    def timed_recompute(*, pairs, **rest):
        pairs = list(pairs)
        began = time.perf_counter()
        outbox.recompute_after_surveys(pairs=pairs, **rest)
        recompute["seconds"] += time.perf_counter() - began
        recompute["pairs"] += len(pairs)

    hooks.connect("recompute_after_surveys", timed_recompute)
    try:
        started = time.perf_counter()
        report = survey_file_import(path=Path(path), filename=Path(path).name, by=by)
        imported = time.perf_counter()
    finally:
        hooks.connect("recompute_after_surveys", outbox.recompute_after_surveys)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "import_seconds": imported - started - recompute["seconds"],
        "recompute_seconds": recompute["seconds"],
        "constraints_seconds": finished - imported,
        "rows": report.rows,
        "communes": len(report.per_commune),
        "pairs": recompute["pairs"],
    }


def import_worker(path) -> dict:
    """Run in a process of its own (``bench --import-worker PATH``): the import end to end
    (``import_end_to_end``), then roll back. Adds how far the process's memory rose above
    what it held before the import (its peak RSS during the import minus its RSS
    before)."""
    import resource

    # Warm: the connection, the importer's modules; the baseline is taken after them.
    Commune.objects.exists()
    import surveys.importing  # noqa: F401

    fresh_peak = _reset_peak_memory()
    before = _memory_kb("VmRSS") if fresh_peak else None
    if before is None:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with override_settings(DEBUG=False), transaction.atomic():
        # As the web page imports: by a user (here an administrator, whose scope is the
        # country), named on each row.
        by = get_user_model().objects.create(
            username="bench-import", is_staff=True, is_superuser=True
        )
        result = import_end_to_end(path, by=by)
        transaction.set_rollback(True)
    peak = _memory_kb("VmHWM") if fresh_peak else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**result, "memory_mb": max(peak - before, 0) / 1024, "peak_mb": peak / 1024}


def _copy_lines(path) -> str:
    """The file's rows as the importer writes them into the survey table (COPY text:
    commune, questionnaire, day, channel, satisfied, answers, form number, comment,
    batch, user, time)."""
    import csv
    import json

    from django.utils import timezone

    from surveys.models import Questionnaire

    ids = dict(Commune.objects.values_list("code", "pk"))
    questionnaire = Questionnaire.objects.filter(is_active=True).first()
    questionnaire_id = questionnaire.pk if questionnaire else r"\N"
    at = timezone.now().isoformat()
    lines = []
    with open(path, encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for code, day, satisfied, *scores in reader:
            answers = json.dumps(
                {q: int(s) for q, s in zip(IMPORT_QUESTIONS, scores, strict=True)},
                separators=(",", ":"),
            )
            flag = "t" if satisfied == "1" else "f"
            lines.append(
                f"{ids[code]}\t{questionnaire_id}\t{day}\timport\t{flag}"
                f"\t{answers}\t\\N\t\t\\N\t\\N\t{at}\n"
            )
    return "".join(lines)


_COPY_COLUMNS = (
    "commune_id, questionnaire_id, answered_on, channel, satisfied, answers, "
    "form_number, comment, import_batch_id, entered_by_id, created_at"
)


def copy_reference(text: str) -> float:
    """PostgreSQL's COPY of the same rows into a table of the survey table's columns
    with no index, no constraint but NOT NULL (rolled back)."""
    table = SurveyResponse._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # The table name is the model's own.
        cursor.execute(
            f"CREATE TABLE bench_unindexed (LIKE {table} INCLUDING IDENTITY INCLUDING DEFAULTS)"  # nosec B608
        )
        started = time.perf_counter()
        with cursor.copy(f"COPY bench_unindexed ({_COPY_COLUMNS}) FROM STDIN") as copy:
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start : start + (1 << 20)])
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def copy_into_survey_table(text: str) -> float:
    """The same rows written by PostgreSQL alone into the survey table itself (its
    indexes and foreign keys) with COPY, rolled back: the least any importer writing
    there can take. Under a new import batch, as the importer writes them (the table
    indexes imported rows by their batch, kiosk and paper rows by their commune)."""
    table = SurveyResponse._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        batch = ImportBatch.objects.create(sha256=secrets.token_hex(32), filename="bench", rows=0)
        # The empty comment, then the batch (``_copy_lines``).
        text = text.replace("\t\t\\N\t", f"\t\t{batch.pk}\t")
        started = time.perf_counter()
        with cursor.copy(f"COPY {table} ({_COPY_COLUMNS}) FROM STDIN") as copy:  # nosec B608
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start : start + (1 << 20)])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


# The import is timed this many times, each in a process of its own: the median, as
# the COPY beside it (a single run moved by a second with the machine's load).
IMPORT_RUNS = 3


def measure_import(*, rows: int) -> list[Row]:
    """4: the survey import end to end on a ``rows``-row CSV (each run in a process of
    its own, for its memory; the median of ``IMPORT_RUNS``) beside PostgreSQL's COPY of
    the same rows into an unindexed table."""
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    # The recompute measured before rewrote every status several times, rolled back:
    # tidied as autovacuum tidies them in production (a benchmark server may run without
    # it), so that the import does not pay for the benchmark's own dead rows.
    scale.analyze(CertificationStatus, SurveyYear)
    with tempfile.TemporaryDirectory(prefix="fg-bench-import-") as folder:
        path = Path(folder) / "responses.csv"
        write_import_csv(path, rows=rows)
        size_mb = path.stat().st_size / 1e6
        text = _copy_lines(path)
        copy_reference(text)  # warm, as the runs below are
        # Each run of the import, then the COPY, in turn: a pair is seconds apart, where
        # on a shared machine whose speed moves within minutes the COPY timed after all
        # the runs moved by half from one bench to the next (BENCHMARKS.md, round twelve).
        runs, copies = [], []
        for _run in range(IMPORT_RUNS):
            result = subprocess.run(  # noqa: S603 (this interpreter and manage.py, fixed arguments)
                [sys.executable, "manage.py", "bench", "--import-worker", str(path)],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                check=True,
                timeout=1800,
            )
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
            # What the rolled-back run left, tidied as after a committed import.
            scale.analyze(CertificationStatus, SurveyYear)
            copies.append(copy_reference(text))
    runs.sort(key=lambda run: run["seconds"])
    worker = runs[len(runs) // 2]
    copy = statistics.median(copies)
    ceiling = copy_into_survey_table(text)
    # The rolled-back imports left their rows dead at the newest end of the survey table,
    # where the admin's list of answers (measurement 6) reads first: tidied as autovacuum
    # tidies a table after so many (without it, each bench left 400,000 more, and the list
    # went from 0.2 s to 35 s once a day of runs had piled up 15 million).
    scale.analyze(SurveyResponse)
    speed = worker["rows"] / worker["seconds"]
    copy_speed = rows / copy
    ratio = speed / copy_speed
    memory = max(run["memory_mb"] for run in runs)
    return [
        Row(
            "4",
            f"survey import end to end, {rows:,}-row CSV ({size_mb:.1f} MB, "
            f"{worker['communes']:,} communes): rows/s",
            f"{speed:,.0f} rows/s ({worker['seconds']:.2f} s; runs "
            f"{runs[0]['seconds']:.2f}-{runs[-1]['seconds']:.2f} s)",
            f"COPY into an unindexed table {copy_speed:,.0f} rows/s ({copy:.2f} s; "
            f"{min(copies):.2f}-{max(copies):.2f} s), timed in turn with the runs",
            f"{ratio:.2f}x",
            ">= 50,000/s, >= 0.3x",
            speed >= 50_000 and ratio >= 0.3,
        ),
        Row(
            "4",
            f"  of which read, check, write: {worker['import_seconds']:.2f} s; roll-up "
            f"and recompute of {worker['pairs']:,} touched (commune, year), in the import "
            f"(the roll-up written while the statuses are composed): "
            f"{worker['recompute_seconds']:.2f} s; deferred checks "
            f"{worker['constraints_seconds']:.2f} s",
            "",
        ),
        Row(
            "4",
            "  memory of the import (its peak RSS above the RSS before it, the most of the runs)",
            f"{memory:,.0f} MB (process peak {max(run['peak_mb'] for run in runs):,.0f} MB)",
            goal="< 300 MB",
            met=memory < 300,
        ),
        Row(
            "4",
            "  COPY of the same rows into the survey table itself (indexes, FKs)",
            f"{rows / ceiling:,.0f} rows/s ({ceiling:.2f} s)",
            "",
            f"importer {speed / (rows / ceiling):.2f}x of it",
        ),
    ]

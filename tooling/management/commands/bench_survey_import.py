"""manage.py bench_survey_import [--rows N] [--format csv|xlsx]: time and memory of an import.

Writes a file of N valid rows spread over all communes, imports it with the importer of
the web page and the command, reports the time and the peak memory, and rolls back:
the database is left as it was.
"""

import csv
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from communes.models import Commune
from surveys.importing import survey_file_check, survey_file_import
from surveys.selectors import active_questionnaire


class _RollBack(Exception):
    pass


def write_file(path: Path, *, rows: int, fmt: str, codes: list[str], questions: list[str]):
    rng = random.Random(7)
    header = ["commune_code", "answered_on", "satisfied", *questions]

    def lines():
        for n in range(rows):
            satisfied = rng.random() < 0.9
            scores = [rng.choice([4, 5] if satisfied else [1, 2, 3]) for _ in questions]
            day = f"{1 + n % 28:02d}/{1 + n % 12:02d}/2024"
            yield [codes[n % len(codes)], day, "1" if satisfied else "0", *scores]

    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(lines())
        return
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for line in lines():
        sheet.append(line)
    workbook.save(path)


class Command(BaseCommand):
    help = "Measure the survey importer on a generated file (the database is left unchanged)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--tracemalloc",
            dest="trace",
            action="store_true",
            help="measure Python's peak allocation (slower; time figures are then inflated)",
        )

    def handle(self, *args, rows, format, trace: bool, **options):
        codes = list(Commune.objects.values_list("code", flat=True))
        questionnaire = active_questionnaire()
        questions = [q.code for q in questionnaire.questions.all()] if questionnaire else []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"bench.{format}"
            started = time.perf_counter()
            write_file(path, rows=rows, fmt=format, codes=codes, questions=questions)
            self.stdout.write(
                f"{connection.vendor}: wrote {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB "
                f"{format}) in {time.perf_counter() - started:.1f} s"
            )
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            report = survey_file_check(path=path, filename=path.name)
            checked = time.perf_counter() - started
            assert report.ok, report.errors[:5]
            try:
                with transaction.atomic():
                    started = time.perf_counter()
                    report = survey_file_import(path=path, filename=path.name)
                    imported = time.perf_counter() - started
                    raise _RollBack
            except _RollBack:
                pass
            peak = None
            if trace:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.stdout.write(
            f"check (one read): {checked:.1f} s; import (check + insert): {imported:.1f} s; "
            f"{report.rows:,} rows, {len(report.per_commune)} communes"
        )
        self.stdout.write(
            f"peak RSS grew by {(rss_after - rss_before) / 1024:.1f} MB "
            f"(process peak {rss_after / 1024:.1f} MB)"
            + (f"; Python peak allocation {peak / 1e6:.1f} MB" if peak is not None else "")
        )

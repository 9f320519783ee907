import argparse
import json
import os
import platform
import time
import warnings

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from communes.models import Commune

MEASUREMENTS = ("1", "2", "3", "4", "5", "6")


def machine() -> str:
    """The machine the figures were measured on, and how busy it was."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            total_kb = int(info.readline().split()[1])
            memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; PostgreSQL {postgres}; "
        f"Python {platform.python_version()}; load average {load}"
    )


class Command(BaseCommand):
    help = (
        "Measure the portal at national scale (after generate_scale_data) and print each "
        "figure beside its reference and goal. PostgreSQL only; see BENCHMARKS.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", default=",".join(MEASUREMENTS),
            help="the measurements to run, e.g. 1,2 (default: all of 1,2,3,4,5,6)",
        )  # fmt: skip
        parser.add_argument(
            "--runs", type=int, default=20, help="runs per timing, the median is shown"
        )  # fmt: skip
        parser.add_argument(
            "--import-rows", type=int, default=100_000, help="rows of the CSV imported in 4"
        )  # fmt: skip
        parser.add_argument("--clients", type=int, default=20, help="HTTP clients in 5")
        parser.add_argument("--seconds", type=float, default=30, help="seconds of load in 5")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers in 5")
        # Measurement 4 runs the importer in a process of its own, for its memory.
        parser.add_argument("--import-worker", metavar="PATH", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench measures the portal on PostgreSQL, and DATABASE_URL is "
                f"{connection.vendor}. Run it on a database of its own filled by "
                "generate_scale_data, e.g.\n"
                "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/friendlygov_bench "
                "make bench\n(see BENCHMARKS.md)."
            )
        if options["import_worker"]:
            from tooling.bench import surveys

            self.stdout.write(json.dumps(surveys.import_worker(options["import_worker"])))
            return
        only = [part.strip() for part in options["only"].split(",") if part.strip()]
        unknown = sorted(set(only) - set(MEASUREMENTS))
        if unknown:
            raise CommandError(f"Unknown measurement {', '.join(unknown)}: use 1 to 6.")
        if not Commune.objects.exists():
            raise CommandError("No communes: run `manage.py generate_scale_data` first.")

        from tooling.bench import measure, surveys

        # whitenoise looks for collected files that the in-process measurements do not use.
        warnings.filterwarnings("ignore", message="No directory at")

        self.stdout.write(f"Machine: {machine()}")
        self.stdout.write(f"Database: {connection.settings_dict['NAME']}")
        rows = []
        started = time.perf_counter()
        if "1" in only or "2" in only:
            rows += [
                row for row in measure.measure_dashboard(runs=options["runs"]) if row.number in only
            ]
        if "3" in only:
            rows += surveys.measure_recompute()
        if "4" in only:
            rows += surveys.measure_import(rows=options["import_rows"])
        if "5" in only:
            rows += measure.measure_http(
                clients=options["clients"], seconds=options["seconds"], workers=options["workers"]
            )
        if "6" in only:
            from tooling.bench import pages

            rows += pages.measure_pages(write=self.stdout.write)
        self._table(rows)
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        self.stdout.write(
            f"Measured in {time.perf_counter() - started:.0f} s; load average now {load}."
        )
        if any(row.met is False for row in rows):
            self.stdout.write(self.style.WARNING("Some goals are not met (see BENCHMARKS.md)."))

    def _table(self, rows):
        headers = ("#", "measurement", "portal", "reference", "ratio", "goal", "met")
        cells = [
            (
                r.number,
                r.what,
                r.portal,
                r.reference,
                r.ratio,
                r.goal,
                {True: "yes", False: "NO", None: ""}[r.met],
            )
            for r in rows
        ]
        widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(len(headers))]
        line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
        self.stdout.write(line)
        self.stdout.write("-+-".join("-" * w for w in widths))
        for row in cells:
            self.stdout.write(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))

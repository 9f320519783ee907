import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tooling.bench import scale


class Command(BaseCommand):
    help = (
        "Fill a database of its own with deterministic national-scale data (63 provinces, "
        "705 districts, 10,598 communes, evidence, committees, survey responses) for the "
        "benchmark. PostgreSQL only; see BENCHMARKS.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--provinces", type=int, default=scale.NATIONAL["provinces"],
            help="provinces in all, Bắc Giang included (default 63)",
        )  # fmt: skip
        parser.add_argument(
            "--districts", type=int,
            help="districts in all (default 705, or the national average per province)",
        )  # fmt: skip
        parser.add_argument(
            "--communes", type=int,
            help="communes in all (default 10,598, or the national average per district)",
        )  # fmt: skip
        parser.add_argument(
            "--communes-per-district", type=int,
            help="communes of each invented district (instead of --communes)",
        )  # fmt: skip
        parser.add_argument(
            "--responses", type=int, default=scale.DEFAULT_RESPONSES,
            help="survey responses over 2023-2025 (default 1,000,000; 10,000,000 for the "
            "full benchmark)",
        )  # fmt: skip
        parser.add_argument(
            "--reset", action="store_true",
            help="first empty every table of commune records and delete invented units",
        )  # fmt: skip

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_scale_data needs PostgreSQL (it writes with COPY and "
                "generate_series): set DATABASE_URL=postgres://.../friendlygov_bench, a "
                "database of its own (see BENCHMARKS.md)."
            )
        if not settings.DEBUG:
            raise CommandError(
                "generate_scale_data fills the database with invented communes and "
                "records; it runs only with DEBUG=1, on a database of its own."
            )
        try:
            real = scale.real_units()
            sizes = scale.sizes_for(
                real=real,
                provinces=options["provinces"],
                districts=options["districts"],
                communes=options["communes"],
                communes_per_district=options["communes_per_district"],
                responses=options["responses"],
            )
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from exc

        database = connection.settings_dict["NAME"]
        if options["reset"]:
            started = time.perf_counter()
            scale.reset()
            self.stdout.write(
                f"Emptied {database}: commune records and invented units "
                f"({time.perf_counter() - started:.1f} s)."
            )
        else:
            found = scale.holds_data()
            if found:
                if scale.current_sizes() == sizes:
                    self.stdout.write(f"{database} already holds {sizes}; nothing to do.")
                    return
                raise CommandError(
                    f"{database} already holds {', '.join(found)}. Generated data must not "
                    "mix with other data: pass --reset to empty it first (on a database of "
                    "its own, never a real one)."
                )

        self.stdout.write(f"Generating {sizes} in {database}:")
        report = scale.generate(sizes, real, out=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Done in {report.seconds:.1f} s."))

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from communes.models import Commune
from targets import dashboards, services
from targets.models import CertificationStatus, RecomputeRun, Status


class Command(BaseCommand):
    help = (
        "Recompute the certification status of every commune (or one) for every year with "
        "a rule or a target (or one year), as the nightly task does, and print the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="only this year (e.g. 2024)")
        parser.add_argument("--commune", metavar="CODE", help="only this commune (GSO code)")
        parser.add_argument(
            "--full",
            action="store_true",
            help=(
                "evaluate every commune, not only those whose facts moved since their last "
                "computation (after data was repaired by hand in the database)"
            ),
        )

    def handle(self, *args, year=None, commune=None, full=False, **options):
        unit = None
        if commune is not None:
            unit = Commune.objects.filter(code=commune).first()
            if unit is None:
                raise CommandError(
                    f"Unknown commune code {commune!r}: use the GSO code, e.g. 7444 (Đồi Ngô)."
                )
        years = [year] if year is not None else services.recompute_years()
        if not years:
            raise CommandError(
                "No year to recompute: add a certification rule or a target (admin), "
                "or pass --year."
            )
        if full:
            # Forgotten fingerprints match no facts: the run evaluates every commune (and
            # if it stops half-way, the next one does).
            forgotten = CertificationStatus.objects.filter(year__in=years)
            if unit is not None:
                forgotten = forgotten.filter(commune=unit)
            forgotten.update(facts_hash="")
        run = services.recompute_run_create(
            trigger=RecomputeRun.Trigger.COMMAND, year=year, commune=unit
        )
        # The dashboards it changed are rendered into the cache before the run is done.
        run = services.recompute_run_execute(
            run_id=run.pk, prerender=lambda each_year: dashboards.prerender(year=each_year)
        )
        scope = unit.name if unit else f"{Commune.objects.count()} communes"
        self.stdout.write(f"Recomputed {scope} for {', '.join(map(str, years))}.")
        self._summary(years, unit)
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk}: {run.state}."))

    def _summary(self, years, unit):
        statuses = CertificationStatus.objects.filter(year__in=years)
        if unit is not None:
            statuses = statuses.filter(commune=unit)
        counts = {}
        for row in statuses.values("year", "status").annotate(n=Count("pk")).order_by():
            year_counts = counts.setdefault(row["year"], dict.fromkeys(Status.values, 0))
            year_counts[row["status"]] = row["n"]
        width = max(len(s) for s in Status.values)
        self.stdout.write("year  " + "  ".join(s.rjust(width) for s in Status.values))
        for each in years:
            row = counts.get(each, dict.fromkeys(Status.values, 0))
            self.stdout.write(
                f"{each}  " + "  ".join(str(row[s]).rjust(width) for s in Status.values)
            )

from django.core.management.base import BaseCommand

from communes.services import UNITS_FILE, units_load


class Command(BaseCommand):
    help = (
        "Load the real units of every period (Bắc Giang 2023 and 1/1/2025, Bắc Ninh from "
        "1/7/2025) and the lineage between them. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(UNITS_FILE), help="the 2023 units JSON file")

    def handle(self, *args, path, **options):
        result = units_load(path=path)
        self.stdout.write(
            f"Units: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged. Lineage links: {result.links_created} created, "
            f"{result.links_updated} updated, {result.links_kept} checked by an administrator "
            "and kept."
        )
        for link in result.uncertain:
            self.stdout.write(
                f"  {link.get_certainty_display()}: {link} ({link.note})", self.style.WARNING
            )

from django.core.management.base import BaseCommand

from communes.services import UNITS_FILE, units_load


class Command(BaseCommand):
    help = "Load Bắc Giang's real districts and communes (official codes). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(UNITS_FILE), help="units JSON file")

    def handle(self, *args, path, **options):
        result = units_load(path=path)
        self.stdout.write(
            f"Units: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )

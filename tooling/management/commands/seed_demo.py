from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communes import demo as communes_demo
from communes import demo_practices
from communes.models import Commune
from surveys import demo as surveys_demo
from targets import demo as targets_demo

# Each app seeds its own part, in this order (later parts build on earlier ones; the
# targets seed computes every status, so it comes last).
SEEDERS = [communes_demo.seed, demo_practices.seed, surveys_demo.seed, targets_demo.seed]


class Command(BaseCommand):
    help = "Create the deterministic demo data and demo accounts (refused when DEBUG is off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with "
                "DEBUG=1 (make run sets it)."
            )
        if not Commune.objects.exists():
            raise CommandError("No units yet: run `manage.py load_units` first.")
        with transaction.atomic():
            for seeder in SEEDERS:
                seeder()
        self.stdout.write(self.style.SUCCESS("Demo data ready; password: demo-pass-2023"))

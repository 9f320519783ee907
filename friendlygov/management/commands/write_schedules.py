from django.core.management.base import BaseCommand

from friendlygov.schedules import schedules_write


class Command(BaseCommand):
    help = (
        "Write the periodic schedules declared in friendlygov/schedules.py into "
        "django-celery-beat (idempotent; make migrate runs it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="also put back the declared times of schedules an admin has changed",
        )

    def handle(self, *args, reset=False, **options):
        changed = schedules_write(reset=reset)
        for name in changed:
            self.stdout.write(f"written: {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(changed)} schedule(s) written"))

"""manage.py import_survey_responses PATH [--dry-run]: the importer of the web page."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from surveys.importing import ImportRefused, survey_file_check, survey_file_import


class Command(BaseCommand):
    help = (
        "Import citizen survey responses from a CSV or XLSX file (columns commune_code, "
        "answered_on, satisfied and optionally one per question code). All rows or none; "
        "every bad row is listed as 'row N: reason' and the exit status is non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and report; write nothing"
        )
        parser.add_argument(
            "--language",
            default="en",
            help="language of the messages (en, the default for operators, or vi)",
        )

    def handle(self, *args, path: Path, dry_run: bool, language: str, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with translation.override(language):
            try:
                if dry_run:
                    report = survey_file_check(path=path, filename=path.name)
                    if not report.ok:
                        raise ImportRefused(report)
                else:
                    report = survey_file_import(path=path, filename=path.name)
            except ImportRefused as refused:
                for line in refused.report.errors:
                    self.stderr.write(line)
                if refused.report.errors_not_shown:
                    self.stderr.write(f"... {refused.report.errors_not_shown} more bad rows")
                raise CommandError(
                    f"{path.name}: nothing imported "
                    f"({refused.report.bad_rows or len(refused.report.errors)} problem(s))."
                ) from None
        verb = "would import" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {verb} {report.rows} responses ({report.satisfied} satisfied) "
                f"for {len(report.per_commune)} communes."
            )
        )

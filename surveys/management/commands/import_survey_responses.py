"""manage.py import_survey_responses PATH [--dry-run] [--replace]: the importer of the web page.

Rows an earlier import already holds are left out (and said so); with --replace, the
earlier file's rows of the same communes and days are replaced by this file's.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from surveys.importing import ImportRefused, survey_file_check, survey_file_import


class Command(BaseCommand):
    help = (
        "Import citizen survey responses from a CSV or XLSX file (columns commune_code, "
        "answered_on, satisfied, optionally form_number and one per question code). All "
        "rows or none; every bad row is listed as 'row N: reason' and the exit status is "
        "non-zero. Rows already imported (same form number, or same commune, day and "
        "answers) are skipped, or with --replace replace the earlier file's rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and report; write nothing"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace the rows of earlier imports that this file repeats (a corrected "
            "file), instead of skipping its rows already imported",
        )
        parser.add_argument(
            "--language",
            default="en",
            help="language of the messages (en, the default for operators, or vi)",
        )

    def handle(self, *args, path: Path, dry_run: bool, replace: bool, language: str, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        with translation.override(language):
            try:
                if dry_run:
                    report = survey_file_check(path=path, filename=path.name)
                    if not report.ok:
                        raise ImportRefused(report)
                else:
                    report = survey_file_import(path=path, filename=path.name, replace=replace)
            except ImportRefused as refused:
                for line in refused.report.errors:
                    self.stderr.write(line)
                if refused.report.errors_not_shown:
                    self.stderr.write(f"... {refused.report.errors_not_shown} more bad rows")
                raise CommandError(
                    f"{path.name}: nothing imported "
                    f"({refused.report.bad_rows or len(refused.report.errors)} problem(s))."
                ) from None
        for earlier in report.earlier:
            self.stdout.write(
                f"{earlier.rows} rows already imported from {earlier.filename} "
                f"({timezone.localtime(earlier.imported_at):%d/%m/%Y %H:%M})"
                + (f"; --replace would delete its {earlier.replaced} rows" if dry_run else "")
            )
        if report.already_in_rows:
            self.stdout.write(
                "already imported: rows "
                + ", ".join(map(str, report.already_in_rows))
                + (", ..." if report.already_in > len(report.already_in_rows) else "")
            )
        communes = len(report.per_commune)
        if dry_run:
            message = (
                f"{path.name}: would import {report.new_rows} responses ({report.satisfied} "
                f"satisfied) for {communes} communes"
                + (
                    f"; {report.already_in} already imported (with --replace: all "
                    f"{report.rows}, replacing {report.replaceable})"
                    if report.already_in
                    else ""
                )
                + "."
            )
        else:
            message = (
                f"{path.name}: imported {report.written} responses ({report.satisfied} "
                f"satisfied) for {communes} communes"
                + (f"; replaced {report.replaced} of earlier imports" if report.replaced else "")
                + (
                    f"; skipped {report.already_in} already imported"
                    if report.already_in and not report.replaced
                    else ""
                )
                + "."
            )
        self.stdout.write(self.style.SUCCESS(message))

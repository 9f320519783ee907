import datetime

from django.db import migrations


def record_programme_years(apps, schema_editor):
    """Every year with a target becomes a programme year; a portal running the programme
    through 2025 gets 2026 as an ordinary year, at 100% of the new province's communes."""
    YearTarget = apps.get_model("targets", "YearTarget")
    ProgrammeYear = apps.get_model("communes", "ProgrammeYear")
    province_targets = YearTarget.objects.filter(district=None)
    if province_targets.filter(year=2025).exists() and not province_targets.filter(year=2026):
        YearTarget.objects.create(year=2026, district=None, percent=100)
    for year in set(YearTarget.objects.values_list("year", flat=True)):
        ProgrammeYear.objects.get_or_create(
            year=year, defaults={"reference_date": datetime.date(year, 1, 1)}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0005_index_last_computed"),
        ("communes", "0005_programme_years"),
    ]

    operations = [migrations.RunPython(record_programme_years, migrations.RunPython.noop)]

"""The roll-up of survey responses per commune and month, filled from the responses.

The backfill is one INSERT ... SELECT ... GROUP BY over the responses (on ten million
rows it reads the whole table once; see BENCHMARKS.md). Run it while nobody answers or
imports: a response written during it would be missing from the roll-up (the roll-up can
be counted again with ``surveys.rollup.months_rebuild``).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear


def backfill(apps, schema_editor):
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    SurveyMonth = apps.get_model("surveys", "SurveyMonth")
    connection = schema_editor.connection
    grouped = (
        SurveyResponse.objects.using(connection.alias)
        .order_by()
        .annotate(year=ExtractYear("answered_on"), month=ExtractMonth("answered_on"))
        .values("commune_id", "year", "month")
        .annotate(n=Count("pk"), s=Count("pk", filter=Q(satisfied=True)))
        .values_list("commune_id", "year", "month", "n", "s")
    )
    select, params = grouped.query.sql_with_params()
    table = connection.ops.quote_name(SurveyMonth._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (commune_id, year, month, responses, satisfied) {select}",  # noqa: S608  # nosec B608
            params,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0012_units_oldest_first_on_every_database"),
        ("surveys", "0008_kiosk_throttle_shared_by_processes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SurveyMonth",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField()),
                ("month", models.PositiveSmallIntegerField()),
                ("responses", models.IntegerField(default=0)),
                ("satisfied", models.IntegerField(default=0)),
                (
                    "commune",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="survey_months",
                        to="communes.commune",
                    ),
                ),
            ],
            options={
                "verbose_name": "số phiếu theo tháng",
                "verbose_name_plural": "số phiếu theo tháng",
                "indexes": [models.Index(fields=["year"], name="survey_month_year")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("commune", "year", "month"), name="survey_month_once"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

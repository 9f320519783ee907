"""The survey roll-up becomes one row per commune and year, with its months as columns.

A national import added to ~85,000 (commune, month) rows; it now adds to ~20,000
(commune, year) rows, each with the year's counts and the 12 months' (BENCHMARKS.md,
"Import, round five"). The new table keeps room on its pages for in-place updates
(fillfactor 60 on PostgreSQL, set before it is filled), and is filled from the monthly
roll-up in one INSERT ... SELECT ... GROUP BY (a second for a country); going back fills
the months from the years the same way.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q, Sum

FILLFACTOR = 60
MONTHS = range(1, 13)


def _insert_select(schema_editor, table: str, columns: list[str], queryset) -> None:
    select, params = queryset.query.sql_with_params()
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table)} ({', '.join(columns)}) {select}",  # noqa: S608  # nosec B608
            params,
        )


def years_from_months(apps, schema_editor):
    SurveyMonth = apps.get_model("surveys", "SurveyMonth")
    SurveyYear = apps.get_model("surveys", "SurveyYear")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {SurveyYear._meta.db_table} SET (fillfactor = {FILLFACTOR})"
        )
    counts = {"n": Sum("responses"), "s": Sum("satisfied")}
    columns = ["commune_id", "year", "responses", "satisfied"]
    for month in MONTHS:
        counts[f"n{month}"] = Sum("responses", filter=Q(month=month), default=0)
        counts[f"s{month}"] = Sum("satisfied", filter=Q(month=month), default=0)
        columns += [f"responses_{month}", f"satisfied_{month}"]
    grouped = (
        SurveyMonth.objects.using(schema_editor.connection.alias)
        .order_by()
        .values("commune_id", "year")
        .annotate(**counts)
        .values_list("commune_id", "year", *counts)
        .order_by("commune_id", "year")
    )
    _insert_select(schema_editor, SurveyYear._meta.db_table, columns, grouped)


def months_from_years(apps, schema_editor):
    SurveyMonth = apps.get_model("surveys", "SurveyMonth")
    SurveyYear = apps.get_model("surveys", "SurveyYear")
    for month in MONTHS:
        n, s = f"responses_{month}", f"satisfied_{month}"
        rows = (
            SurveyYear.objects.using(schema_editor.connection.alias)
            .filter(**{f"{n}__gt": 0})
            .annotate(m=models.Value(month, models.SmallIntegerField()))
            .values_list("commune_id", "year", "m", n, s)
        )
        _insert_select(
            schema_editor,
            SurveyMonth._meta.db_table,
            ["commune_id", "year", "month", "responses", "satisfied"],
            rows,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0017_mail_language"),
        ("surveys", "0013_survey_month_room_for_in_place_updates"),
    ]

    operations = [
        migrations.CreateModel(
            name="SurveyYear",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField()),
                ("responses", models.IntegerField(default=0)),
                ("satisfied", models.IntegerField(default=0)),
                ("responses_1", models.IntegerField(default=0)),
                ("satisfied_1", models.IntegerField(default=0)),
                ("responses_2", models.IntegerField(default=0)),
                ("satisfied_2", models.IntegerField(default=0)),
                ("responses_3", models.IntegerField(default=0)),
                ("satisfied_3", models.IntegerField(default=0)),
                ("responses_4", models.IntegerField(default=0)),
                ("satisfied_4", models.IntegerField(default=0)),
                ("responses_5", models.IntegerField(default=0)),
                ("satisfied_5", models.IntegerField(default=0)),
                ("responses_6", models.IntegerField(default=0)),
                ("satisfied_6", models.IntegerField(default=0)),
                ("responses_7", models.IntegerField(default=0)),
                ("satisfied_7", models.IntegerField(default=0)),
                ("responses_8", models.IntegerField(default=0)),
                ("satisfied_8", models.IntegerField(default=0)),
                ("responses_9", models.IntegerField(default=0)),
                ("satisfied_9", models.IntegerField(default=0)),
                ("responses_10", models.IntegerField(default=0)),
                ("satisfied_10", models.IntegerField(default=0)),
                ("responses_11", models.IntegerField(default=0)),
                ("satisfied_11", models.IntegerField(default=0)),
                ("responses_12", models.IntegerField(default=0)),
                ("satisfied_12", models.IntegerField(default=0)),
                (
                    "commune",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="survey_years",
                        to="communes.commune",
                    ),
                ),
            ],
            options={
                "verbose_name": "số phiếu theo năm",
                "verbose_name_plural": "số phiếu theo năm",
            },
        ),
        migrations.AddConstraint(
            model_name="surveyyear",
            constraint=models.UniqueConstraint(fields=("commune", "year"), name="survey_year_once"),
        ),
        migrations.RunPython(years_from_months, months_from_years, elidable=False),
        migrations.DeleteModel(
            name="SurveyMonth",
        ),
    ]

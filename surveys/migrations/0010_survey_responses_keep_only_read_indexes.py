"""The survey table keeps only the indexes something reads (each costs every import).

Dropped: (commune, created_at) (the latest entries of a commune sort its rows found by
the (commune, day) index), entered_by (read only when a user is deleted), the
submission token's pattern index. The import batch and the kiosk token are indexed only
where they are set (partial indexes): kiosk and paper rows have no batch, imported rows
no token. On ten million rows building the two partial indexes reads the table twice.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_survey_month_rollup"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="surveyresponse",
            name="surveys_sur_commune_cf7862_idx",
        ),
        migrations.AlterField(
            model_name="surveyresponse",
            name="entered_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="surveyresponse",
            name="import_batch",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="responses",
                to="surveys.importbatch",
            ),
        ),
        migrations.AlterField(
            model_name="surveyresponse",
            name="submission_token",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name="surveyresponse",
            index=models.Index(
                condition=models.Q(("import_batch__isnull", False)),
                fields=["import_batch"],
                name="survey_import_batch",
            ),
        ),
        migrations.AddConstraint(
            model_name="surveyresponse",
            constraint=models.UniqueConstraint(
                condition=models.Q(("submission_token__isnull", False)),
                fields=("submission_token",),
                name="survey_submission_token_once",
            ),
        ),
    ]

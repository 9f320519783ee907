"""Imported responses are indexed by their batch, then their commune; the others by commune.

An import's rows went into the (commune, day) index of every response: ~10,000
communes per national file, so each row touched a random page of a 256 MB index, half
a second per 100,000 rows (issue 15). Now kiosk and paper rows keep that index (partial,
``import_batch IS NULL``) and imported rows have (batch, commune, day) (partial, which
replaces the batch's index: the undo of a file reads its leading column): a new file's
rows carry the newest batch and are appended at the right edge of the index. Readers by
commune read both (``SurveyResponseQuerySet.of_communes``). The new indexes are built
before the old ones are dropped; on ten million rows each build reads the table once.

A commune's deletion deletes its responses through those readers (a ``pre_delete``
receiver, ``surveys.services.commune_responses_delete``) instead of Django's CASCADE,
whose ``commune_id IN (...)`` no index serves any more: no change in the database (the
column has no constraint).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0014_survey_roll_up_by_year"),
    ]

    operations = [
        migrations.AlterField(
            model_name="surveyresponse",
            name="commune",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="survey_responses",
                to="communes.commune",
                verbose_name="xã",
            ),
        ),
        migrations.AddIndex(
            model_name="surveyresponse",
            index=models.Index(
                condition=models.Q(("import_batch__isnull", True)),
                fields=["commune", "answered_on", "satisfied"],
                name="survey_entered_commune_day",
            ),
        ),
        migrations.AddIndex(
            model_name="surveyresponse",
            index=models.Index(
                condition=models.Q(("import_batch__isnull", False)),
                fields=["import_batch", "commune", "answered_on"],
                name="survey_batch_commune_day",
            ),
        ),
        migrations.RemoveIndex(
            model_name="surveyresponse",
            name="survey_commune_day_satisfied",
        ),
        migrations.RemoveIndex(
            model_name="surveyresponse",
            name="survey_import_batch",
        ),
    ]

"""A questionnaire keeps whether it has been answered; the survey table loses its index
on the questionnaire.

The index served only ``Questionnaire.is_frozen`` (and the check before a version's
deletion), yet every import wrote one entry per row into it: a few keys for ten million
rows, 0.2-0.3 s of a 100,000-row file (issue 15). Every writer of responses now sets
``answered`` on their version (``Questionnaire.answered_now``). It is filled here from
the responses, through the index, before the index is dropped: a second for a country.
Backwards, the index is built again (10-20 s for ten million rows).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef


def answered_from_responses(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    Questionnaire.objects.filter(
        Exists(SurveyResponse.objects.filter(questionnaire=OuterRef("pk")))
    ).update(answered=True)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0016_entered_by_checked_once"),
    ]

    operations = [
        migrations.AddField(
            model_name="questionnaire",
            name="answered",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="đã có phiếu trả lời"
            ),
        ),
        migrations.RunPython(answered_from_responses, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="surveyresponse",
            name="questionnaire",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="responses",
                to="surveys.questionnaire",
            ),
        ),
    ]

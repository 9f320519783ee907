"""Ship the SIPAS questionnaire, version 1, active: the kiosk and paper entry need one."""

from django.db import migrations

from surveys.questions import DEFAULT_QUESTIONS, DEFAULT_TITLE


def create_version_1(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Question = apps.get_model("surveys", "Question")
    if Questionnaire.objects.filter(version=1).exists():
        return
    questionnaire = Questionnaire.objects.create(
        version=1, title=DEFAULT_TITLE, is_active=not Questionnaire.objects.filter(is_active=True).exists()
    )
    Question.objects.bulk_create(
        Question(questionnaire=questionnaire, code=code, element=element, text=text, order=order)
        for order, (code, element, text) in enumerate(DEFAULT_QUESTIONS, start=1)
    )


def remove_version_1(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Questionnaire.objects.filter(version=1, responses__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_versioning_and_history")]

    operations = [migrations.RunPython(create_version_1, remove_version_1)]

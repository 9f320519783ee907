"""A short code for every kiosk link (typed at /s/), and the citizen's optional comment."""

from django.db import migrations, models

import surveys.models


def give_codes(apps, schema_editor):
    KioskLink = apps.get_model("surveys", "KioskLink")
    taken = set()
    for link in KioskLink.objects.filter(code__isnull=True):
        code = surveys.models.new_kiosk_code()
        while code in taken or KioskLink.objects.filter(code=code).exists():
            code = surveys.models.new_kiosk_code()
        taken.add(code)
        link.code = code
        link.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0005_questions_in_english")]

    operations = [
        migrations.AddField(
            model_name="kiosklink",
            name="code",
            field=models.CharField(max_length=6, null=True, verbose_name="mã ngắn"),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="kiosklink",
            name="code",
            field=models.CharField(
                default=surveys.models.new_kiosk_code,
                max_length=6,
                null=True,
                unique=True,
                verbose_name="mã ngắn",
            ),
        ),
        migrations.AddField(
            model_name="surveyresponse",
            name="comment",
            field=models.TextField(blank=True, max_length=500, verbose_name="góp ý"),
        ),
        migrations.AddField(
            model_name="historicalsurveyresponse",
            name="comment",
            field=models.TextField(blank=True, max_length=500, verbose_name="góp ý"),
        ),
    ]

"""A response's user (``entered_by``) has no foreign key constraint any more.

An import names its user on each of its rows, and PostgreSQL checked the deferred
constraint once per row at the commit: 0.5-0.7 s of a 100,000-row file (issue 15). The
import now checks and locks its user once, as it does its communes and questionnaire
(``surveys.importing._lock_referenced``), and a paper entry its user; a user's deletion
still empties the column of their responses (``on_delete=SET_NULL``, which Django
applies). Drops the constraint only: instant at any size.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0015_imported_responses_indexed_by_batch"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="surveyresponse",
            name="entered_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]

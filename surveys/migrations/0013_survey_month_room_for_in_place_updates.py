"""The roll-up's pages keep room for the new versions of their rows (fillfactor 60).

An import adds to ~100,000 of the ~400,000 (commune, month) rows of a country. With full
pages each updated row moved to another page and was written again into the roll-up's
three indexes (1.5 to 1.9 s for a national file); with room left on its page PostgreSQL
updates it in place, indexes untouched (a HOT update: 0.5 s), since no indexed column
changes. The table is rewritten once (VACUUM FULL: a second for a country) so that its
existing pages get the room; SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 60


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE surveys_surveymonth SET (fillfactor = {FILLFACTOR})")
    # Not inside a transaction (the migration is not atomic): VACUUM refuses one.
    schema_editor.execute("VACUUM FULL surveys_surveymonth")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE surveys_surveymonth RESET (fillfactor)")
    schema_editor.execute("VACUUM FULL surveys_surveymonth")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("surveys", "0012_survey_responses_checked_once_per_file"),
    ]

    operations = [
        migrations.RunPython(leave_room, fill_pages, elidable=False),
    ]

"""The statuses' pages keep room for a new version of each of their rows (fillfactor 50).

With fillfactor 70 (0014), a page had room for the new versions of about four of its ten
rows. Rows written together share pages: a year's statuses, computed together, fill
pages of their own (as the scale data and every new year of a real database do). A
national import rewrites the year's survey figures of nearly every row, so only 59% of
its updates were made in place (HOT); the others moved to another page and were written
again into the table's three indexes. At half full, every row of a page can be rewritten
once in place: all of them HOT, the UPDATE of a year's 10,598 statuses 46 ms instead of
69-84 ms (BENCHMARKS.md, round fourteen). The table takes 1.6 times the pages (5,209
instead of 3,264 for 31,794 statuses, about 40 MB), which a dashboard's scan of a year's
statuses reads in a few milliseconds more.

The table is rewritten once, in the order of its (commune, year) index, so that existing
pages get the room (CLUSTER, a second or less for a country, the table locked meanwhile).
SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 50
FORMER_FILLFACTOR = 70


def _rewrite(schema_editor, fillfactor: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE targets_certificationstatus SET (fillfactor = {fillfactor})"
    )
    schema_editor.execute("CLUSTER targets_certificationstatus USING one_status_a_year")


def leave_room(apps, schema_editor):
    _rewrite(schema_editor, FILLFACTOR)


def leave_less_room(apps, schema_editor):
    _rewrite(schema_editor, FORMER_FILLFACTOR)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("targets", "0014_status_room_for_in_place_updates"),
    ]

    operations = [
        migrations.RunPython(leave_room, leave_less_room, elidable=False),
    ]

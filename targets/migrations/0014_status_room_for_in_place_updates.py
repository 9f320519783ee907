"""The statuses' pages keep room for the new versions of their rows (fillfactor 70).

A national import rewrites ~21,000 of the ~32,000 statuses (their survey figures and
computed_at). Since 0013 no index holds computed_at, so a row whose status did not change
can be updated in place, its indexes untouched (a HOT update), but only if its page has
room for the new version: full pages moved each row to another page and wrote it again
into every index. The table is rewritten once so that its existing pages get the room,
in the order of its (commune, year) index: each page then holds the statuses of a few
communes for every year, and an import, which rewrites one or two years, finds room on
each page for most of its rows (91% of a national import's updates in place on a copy of
the national data, against 56% with the table rewritten in its insertion order, whose
pages hold one year each). CLUSTER: 0.3-0.7 s for a country, the table locked meanwhile.
SQLite has no such setting.
"""

from django.db import migrations

FILLFACTOR = 70


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE targets_certificationstatus SET (fillfactor = {FILLFACTOR})"
    )
    schema_editor.execute("CLUSTER targets_certificationstatus USING one_status_a_year")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE targets_certificationstatus RESET (fillfactor)")
    schema_editor.execute("ALTER TABLE targets_certificationstatus SET WITHOUT CLUSTER")
    # Not inside a transaction (the migration is not atomic): VACUUM refuses one.
    schema_editor.execute("VACUUM FULL targets_certificationstatus")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("targets", "0013_province_stamps"),
    ]

    operations = [
        migrations.RunPython(leave_room, fill_pages, elidable=False),
    ]

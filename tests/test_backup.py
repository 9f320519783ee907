"""Backup and restore (README, "Backup and restore"): tools/backup.sh then tools/restore.sh
bring back the database and the uploaded files, after a wipe as after later changes.

Runs against a private PostgreSQL server (tests/conftest_services.py), in CI's PostgreSQL
leg; the shared server is never touched.
"""

import json
import shutil
import subprocess

import pytest

from tests.conftest_services import (
    ROOT,
    manage,
    only_in_the_postgresql_leg,
    private_postgres_server,
    production_env,
)

pytestmark = pytest.mark.services

EVIDENCE = "evidence/2024/7444/biên-bản-ra-mắt.pdf"
EVIDENCE_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 40

# What a user would miss after a bad restore: units, accounts, a committee and its members,
# and the history kept of them.
SNAPSHOT = """
import json
from django.contrib.auth import get_user_model
from communes.models import Commune, SteeringCommittee, CommitteeMember
print(json.dumps({
    "communes": Commune.objects.count(),
    "doi_ngo": list(
        Commune.objects.filter(code="7444", valid_from__isnull=True)
        .values_list("name", "model_launched_on")
    ),
    "users": sorted(get_user_model().objects.values_list("username", flat=True)),
    "committees": sorted(SteeringCommittee.objects.values_list("decision_number", flat=True)),
    "members": sorted(CommitteeMember.objects.values_list("full_name", "position")),
    "history": SteeringCommittee.history.count() + CommitteeMember.history.count(),
}, default=str))
"""

CREATE_DATA = """
import datetime
from django.contrib.auth import get_user_model
from communes.models import Commune, CommitteeMember, Role, SteeringCommittee, UserScope
doi_ngo = Commune.objects.get(code="7444", valid_from__isnull=True)  # not Xã Lục Nam (2025-)
doi_ngo.model_launched_on = datetime.date(2023, 3, 15)
doi_ngo.save()
user = get_user_model().objects.create_user("xa.doingo", password="Backup-pass-2023!")
UserScope.objects.create(user=user, role=Role.COMMUNE, commune=doi_ngo)
committee = SteeringCommittee.objects.create(
    level="commune", commune=doi_ngo, decision_number="125/QĐ-UBND",
    established_on=datetime.date(2023, 2, 20),
)
CommitteeMember.objects.create(
    committee=committee, full_name="Nguyễn Văn Ân", position="Chủ tịch UBND thị trấn",
    organisation="UBND thị trấn Đồi Ngô", role="chair",
)
"""


def script(name, *args, env):
    return subprocess.run(
        ["bash", str(ROOT / "tools" / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A migrated portal on a private server, with data, an uploaded file and a backup."""
    only_in_the_postgresql_leg()
    with private_postgres_server() as server:
        folder = tmp_path_factory.mktemp("backup")
        media = folder / "media"
        env = production_env(DATABASE_URL=server.createdb("fg_backup"), MEDIA_ROOT=str(media))
        manage("migrate", "--noinput", env=env)
        manage("load_units", env=env)
        manage("shell", "-c", CREATE_DATA, env=env)
        (media / EVIDENCE).parent.mkdir(parents=True)
        (media / EVIDENCE).write_bytes(EVIDENCE_BYTES)
        before = snapshot(env)

        made = script("backup.sh", str(folder / "backups"), env=env)
        assert made.returncode == 0, made.stderr
        backup = made.stdout.strip().splitlines()[-1]

        yield {"server": server, "env": env, "media": media, "backup": backup, "before": before}


def snapshot(env) -> dict:
    # The last line: `shell` may print a note about auto-imported models first.
    return json.loads(manage("shell", "-c", SNAPSHOT, env=env).stdout.strip().splitlines()[-1])


def restore(portal, backup=None):
    return script("restore.sh", "--yes", backup or portal["backup"], env=portal["env"])


def test_the_snapshot_holds_what_the_test_created(portal):
    before = portal["before"]
    assert before["communes"] == 335  # every period: 209 of 2023, the rows of 2025 and after
    assert before["doi_ngo"] == [["Thị trấn Đồi Ngô", "2023-03-15"]]
    assert before["users"] == ["xa.doingo"]
    assert before["members"] == [["Nguyễn Văn Ân", "Chủ tịch UBND thị trấn"]]
    assert before["history"] == 2


def test_a_wiped_database_and_lost_files_come_back_from_the_backup(portal):
    portal["server"].psql("fg_backup", "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    shutil.rmtree(portal["media"])

    restored = restore(portal)

    assert restored.returncode == 0, restored.stderr
    assert snapshot(portal["env"]) == portal["before"]
    assert (portal["media"] / EVIDENCE).read_bytes() == EVIDENCE_BYTES
    manage("migrate", "--check", env=portal["env"])  # the schema is the code's


def test_changes_made_after_the_backup_are_undone_by_a_restore(portal):
    portal["server"].psql(
        "fg_backup",
        "DELETE FROM communes_committeemember;"
        "UPDATE communes_commune SET name = 'Đổi tên nhầm' WHERE code = '7444';"
        "INSERT INTO auth_user (username, password, is_superuser, first_name, last_name,"
        " email, is_staff, is_active, date_joined)"
        " VALUES ('intruder', '!', true, '', '', '', true, true, now())",
    )
    (portal["media"] / EVIDENCE).write_bytes(b"overwritten")

    restored = restore(portal)

    assert restored.returncode == 0, restored.stderr
    assert snapshot(portal["env"]) == portal["before"]
    assert (portal["media"] / EVIDENCE).read_bytes() == EVIDENCE_BYTES


def test_a_damaged_backup_is_refused_before_anything_is_touched(portal, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(portal["backup"], damaged)
    dump = damaged / "database.dump"
    dump.write_bytes(dump.read_bytes()[:-100])
    portal["server"].psql(
        "fg_backup", "UPDATE communes_commune SET name = 'Sau sao lưu' WHERE code = '7444'"
    )

    refused = restore(portal, str(damaged))

    assert refused.returncode != 0
    assert "FAILED" in refused.stdout + refused.stderr
    assert snapshot(portal["env"])["doi_ngo"][0][0] == "Sau sao lưu"
    assert restore(portal).returncode == 0  # leave the database as the backup had it


def test_restore_asks_for_an_explicit_yes(tmp_path):
    refused = script("restore.sh", str(tmp_path), env=production_env())
    assert refused.returncode == 2
    assert "--yes" in refused.stderr


def test_backup_refuses_a_sqlite_database(tmp_path):
    refused = script(
        "backup.sh", str(tmp_path), env=production_env(DATABASE_URL="sqlite:///x.sqlite3")
    )
    assert refused.returncode == 2
    assert "postgres://" in refused.stderr

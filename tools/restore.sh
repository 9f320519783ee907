#!/usr/bin/env bash
# Restore a backup made by tools/backup.sh: the database's tables are replaced by the
# dump's (pg_restore --clean, in one transaction: all or nothing), then the uploaded files
# are unpacked into MEDIA_ROOT (files of the backup overwrite those of the same name;
# files added since stay).
#
#   DATABASE_URL=postgres://user@host:5432/friendlygov MEDIA_ROOT=/srv/friendlygov/media \
#     tools/restore.sh --yes /var/backups/friendlygov/friendlygov-20250102-030000
#
# Stop the portal and the Celery workers first, restore with the same version of the code
# that made the backup, then run `manage.py migrate` and start them again. The database
# must exist (createdb it first on a new server).
set -euo pipefail

usage() {
  echo "usage: DATABASE_URL=postgres://... [MEDIA_ROOT=...] $0 --yes BACKUP_FOLDER" >&2
  echo "       (--yes: the database's current data is replaced)" >&2
  exit 2
}
[ $# -eq 2 ] && [ "$1" = "--yes" ] || usage
backup=$2
: "${DATABASE_URL:?DATABASE_URL must be set (postgres://...)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "restore.sh: DATABASE_URL must be postgres://..." >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
media=${MEDIA_ROOT:-$root/media}

# A damaged or incomplete backup stops here, before anything is touched.
(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
  --dbname="$DATABASE_URL" "$backup/database.dump"
mkdir -p "$media"
tar -C "$media" -xzf "$backup/media.tar.gz"
echo "restored $backup"

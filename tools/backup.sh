#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database (pg_dump, custom format) and the uploaded
# evidence files (a tar of MEDIA_ROOT), into one new timestamped folder.
#
#   DATABASE_URL=postgres://user@host:5432/friendlygov MEDIA_ROOT=/srv/friendlygov/media \
#     tools/backup.sh /var/backups/friendlygov
#
# Prints the folder it wrote: database.dump, media.tar.gz and SHA256SUMS. The database is
# dumped first and the files archived after, so every file the dump refers to is already
# on disk when the archive is made (a file uploaded in between is merely extra).
# Restore with tools/restore.sh. The folder holds personal data: it is readable by its
# owner only.
set -euo pipefail

usage() { echo "usage: DATABASE_URL=postgres://... [MEDIA_ROOT=...] $0 DESTINATION_FOLDER" >&2; exit 2; }
[ $# -eq 1 ] || usage
destination=$1
: "${DATABASE_URL:?DATABASE_URL must be set (postgres://...)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be postgres://... (SQLite: copy the file)" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
media=${MEDIA_ROOT:-$root/media}

umask 077
mkdir -p "$destination"
target="$destination/friendlygov-$(date +%Y%m%d-%H%M%S)"
mkdir "$target"  # never write into an earlier backup

pg_dump --format=custom --file="$target/database.dump" --dbname="$DATABASE_URL"
if [ -d "$media" ]; then
  tar -C "$media" -czf "$target/media.tar.gz" .
else
  echo "backup.sh: $media does not exist: no uploaded files to archive" >&2
  tar -czf "$target/media.tar.gz" --files-from=/dev/null
fi
(cd "$target" && sha256sum database.dump media.tar.gz >SHA256SUMS)
echo "$target"

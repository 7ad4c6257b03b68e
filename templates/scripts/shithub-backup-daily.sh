#!/bin/bash
# shithub-backup-daily [--tag VERSION]: dump the shithub database, check the dump, seal it to the
# operators' age recipients, upload the sealed copy to the backups bucket and record the success.
# Run by shithub-backup.service (daily timer) and, with --tag, by a release flagged as a major
# schema change before any host restarts. The plain dump stays on the host (the newest 7).
#
# Settings come from /etc/shithub-backup/backup.env (written by shithub-infra):
#   BACKUP_DATABASE_URL  libpq URL of the database to dump, without its password
#   PGPASSFILE           where libpq finds the password
#   BACKUP_REMOTE        rclone remote and bucket, e.g. spaces:shithub-backups
#   RCLONE_CONFIG        rclone config holding the bucket-scoped key
#   AGE_RECIPIENTS       the operators' age recipients (their identities are on no host) and the weekly drill's
#   BACKUP_DIR           local copies (the newest 7 are kept)
#   BACKUP_HEARTBEAT     file holding the epoch of the last success (read by the metric)
#
# A failure exits non-zero, leaves the heartbeat untouched and deletes no local dump.
set -euo pipefail
# The dump user's job, whoever starts it (the unit is that user; a release's pre-deploy backup is root).
if [ "$(id -u)" = 0 ] && getent passwd shithub-backup >/dev/null; then cd / && exec runuser -u shithub-backup -- "$0" "$@"; fi

# shellcheck disable=SC1091 # written on the host by shithub-infra
[ -f /etc/shithub-backup/backup.env ] && . /etc/shithub-backup/backup.env
: "${BACKUP_DATABASE_URL:?}" "${PGPASSFILE:?}" "${BACKUP_REMOTE:?}" "${RCLONE_CONFIG:?}" "${AGE_RECIPIENTS:?}" "${BACKUP_DIR:?}" "${BACKUP_HEARTBEAT:?}"
export RCLONE_CONFIG PGPASSFILE

tag=""
if [ "${1:-}" = "--tag" ]; then tag=${2:?--tag needs a release version}; fi
case $tag in "" | v[0-9]*) ;; *) echo "shithub-backup: bad tag $tag" >&2; exit 2 ;; esac

log() { printf 'shithub-backup: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# One dump at a time: the timer, a release's pre-deploy backup and a run by hand take turns (two
# at once would share a name within the same second, and race over the local copies).
exec 8>"${BACKUP_HEARTBEAT%/*}/backup.lock"
flock -w 3600 8 || fail "another backup has held the lock for an hour"

# Names are to the second: a run right after another (it waited for the lock) waits for the next one.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$BACKUP_DIR/shithub-$stamp.dump" ]; do
  sleep 0.2
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
done
name="shithub-$stamp.dump"
if [ -n "$tag" ]; then
  key="pre-release/$tag/$name.age"
else
  key="daily/$(date -u +%Y/%m/%d)/$name.age"
fi

install -d -m 0700 "$BACKUP_DIR"
partial="$BACKUP_DIR/.$name.partial"
sealed="$BACKUP_DIR/.$name.age.partial"
trap 'rm -f -- "$partial" "$sealed"' EXIT

pg_dump --format=custom --compress=9 --no-owner --no-privileges --file="$partial" "$BACKUP_DATABASE_URL" ||
  fail "pg_dump failed"
pg_restore --list "$partial" >/dev/null || fail "the dump does not read back (pg_restore --list)"
size=$(stat -c %s "$partial")
[ "$size" -gt 0 ] || fail "the dump is empty"
mv -f "$partial" "$BACKUP_DIR/$name"
# Only the sealed copy leaves the host: whoever reads the bucket reads nothing without an identity.
age --encrypt --recipients-file "$AGE_RECIPIENTS" --output "$sealed" "$BACKUP_DIR/$name" || fail "age could not seal the dump"
sealed_size=$(stat -c %s "$sealed")

# A bucket-scoped key cannot call GetBucketLocation or create buckets, hence --s3-no-check-bucket.
rclone copyto --s3-no-check-bucket --retries 3 "$sealed" "$BACKUP_REMOTE/$key" ||
  fail "upload to $BACKUP_REMOTE/$key failed"
remote_size=$(rclone lsf --s3-no-check-bucket --format s "$BACKUP_REMOTE/$key" 2>/dev/null || true)
[ "$remote_size" = "$sealed_size" ] || fail "uploaded $key has size '${remote_size:-none}', expected $sealed_size"

# Only now, with the new dump safe in the bucket, drop local copies beyond the newest 7.
find "$BACKUP_DIR" -maxdepth 1 -name 'shithub-*.dump' -printf '%T@ %p\n' | sort -rn | tail -n +8 | cut -d' ' -f2- |
  while IFS= read -r old; do rm -f -- "$old"; done

if [ -z "$tag" ]; then
  tmp=$(mktemp "$(dirname "$BACKUP_HEARTBEAT")/.heartbeat.XXXXXX")
  date -u +%s >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$BACKUP_HEARTBEAT"
fi
log "uploaded $BACKUP_REMOTE/$key ($size bytes)"
echo "$key"

#!/bin/bash
# shithub-recover-repos [SNAPSHOT]: the lost environment's repositories back under REPOS_ROOT, from
# its newest restic snapshot (or SNAPSHOT), read with the recovery key
# (/etc/shithub-recovery/restic.env). Every repository gets its refs back as recorded when the
# snapshot began and must pass git fsck (shithub-repos-verify) before any is moved into place.
# When the volume has room for it, the restic repository is first copied whole beside REPOS_ROOT
# (rclone, many objects at once) and restored from there: restic's own restore reads S3 a pack at a
# time and is many times slower than the copy (docs/explanation/backups.md, the recovery's figures).
# Refuses while shithubd runs or when REPOS_ROOT already holds a repository: a recovery fills only
# the empty volume of a stack held for it. Prints the snapshot, its time and the count.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-recovery/app.env
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${RECOVERY_RESTIC_ENV:?}" "${RECOVERY_RCLONE_CONFIG:?}" "${RECOVERY_REPOS_SOURCE:?}"
set -a
# shellcheck disable=SC1090 # its path is in app.env
. "$RECOVERY_RESTIC_ENV"
set +a
snapshot=${1:-latest}
log() { echo "shithub-recover-repos: $*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

! systemctl is-active --quiet shithubd-web.service shithubd-worker.service ||
  fail "shithubd runs on this host: a recovery only fills a stack held for it (shithubd:recovery)"
[ -d "$REPOS_ROOT" ] || fail "$REPOS_ROOT does not exist (is the data volume mounted?)"
[ -z "$(find "$REPOS_ROOT" -mindepth 1 -maxdepth 3 -name '*.git' -print -quit)" ] ||
  fail "$REPOS_ROOT already holds repositories: a recovery fills only an empty volume"

export HOME=/root
info=$(restic --no-cache --no-lock snapshots --tag repos --json "$snapshot") || fail "cannot list the snapshots (is the repository password the lost environment's?)"
id=$(printf '%s' "$info" | sed -n 's/.*"short_id":"\([0-9a-f]*\)".*/\1/p' | tail -n 1)
taken=$(printf '%s' "$info" | sed -n 's/.*"time":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -n "$id" ] || fail "no snapshot $snapshot in $RESTIC_REPOSITORY"

# --no-lock: the recovery key reads the lost environment's repository and writes nothing, not even a lock.
# Beside REPOS_ROOT, on the same volume: the repositories move into place without a copy.
work=$(dirname "$REPOS_ROOT")/.recovering-repos
copy=$(dirname "$REPOS_ROOT")/.recovering-restic
rm -rf -- "$work" "$copy"
install -d -m 0700 "$work"
trap 'rm -rf -- "$work" "$copy"' EXIT
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
since() { local us=$(($(now_us) - $1)); printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000)); }
start=$(now_us)
# The copy, when the volume holds it and what it restores to (at most the repository's size again,
# restic's packs being the repositories' own bytes), with a GiB to spare.
rclone=(rclone --config "$RECOVERY_RCLONE_CONFIG")
repo_bytes=$("${rclone[@]}" size --json "$RECOVERY_REPOS_SOURCE" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p') || repo_bytes=""
free_bytes=$(df -B1 --output=avail "$(dirname "$REPOS_ROOT")" | tail -n 1 | tr -d ' ')
via=s3
if [ -n "$repo_bytes" ] && [ "$free_bytes" -gt $((2 * repo_bytes + 1073741824)) ]; then
  install -d -m 0700 "$copy"
  "${rclone[@]}" copy --transfers 16 --checkers 16 --exclude '/locks/**' "$RECOVERY_REPOS_SOURCE" "$copy" ||
    fail "the copy of the restic repository from $RECOVERY_REPOS_SOURCE failed"
  export RESTIC_REPOSITORY=$copy
  via=copy
else
  log "the volume has $free_bytes bytes free, too few to copy the restic repository (${repo_bytes:-unknown} bytes) first: restoring from S3, slower"
fi
copy_seconds=$(since "$start")
copied=$(now_us)
restic --no-cache --no-lock restore "$id" --tag repos --target "$work" >/dev/null || fail "restic restore of $id exited $?"
rm -rf -- "$copy"
restore_seconds=$(since "$copied")
restored=$(now_us)
count=$(/usr/local/bin/shithub-repos-verify "$work") || fail "the repositories of $id did not restore clean: none was moved into place"

owner=$(stat -c %U:%G "$REPOS_ROOT")
chown -R "$owner" "$work$REPOS_ROOT"
find "$work$REPOS_ROOT" -mindepth 1 -maxdepth 1 -exec mv -t "$REPOS_ROOT" -- {} +
log "status=ok snapshot=$id taken=$taken repositories=$count via=$via copy_seconds=$copy_seconds restore_seconds=$restore_seconds check_seconds=$(since "$restored")"
printf 'snapshot=%s taken=%s repositories=%s\n' "$id" "$taken" "$count"

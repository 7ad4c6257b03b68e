#!/bin/bash
# shithub-recover-repos [SNAPSHOT]: the lost environment's repositories back under REPOS_ROOT, from
# its newest restic snapshot (or SNAPSHOT), read with the recovery key
# (/etc/shithub-recovery/restic.env). Every repository gets its refs back as recorded when the
# snapshot began and must pass git fsck (shithub-repos-verify) before any is moved into place.
# Refuses while shithubd runs or when REPOS_ROOT already holds a repository: a recovery fills only
# the empty volume of a stack held for it. Prints the snapshot, its time and the count.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-recovery/app.env
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${RECOVERY_RESTIC_ENV:?}"
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
rm -rf -- "$work"
install -d -m 0700 "$work"
trap 'rm -rf -- "$work"' EXIT
start=$(date +%s)
restic --no-cache --no-lock restore "$id" --tag repos --target "$work" >/dev/null || fail "restic restore of $id exited $?"
restored=$(date +%s)
count=$(/usr/local/bin/shithub-repos-verify "$work") || fail "the repositories of $id did not restore clean: none was moved into place"

owner=$(stat -c %U:%G "$REPOS_ROOT")
chown -R "$owner" "$work$REPOS_ROOT"
find "$work$REPOS_ROOT" -mindepth 1 -maxdepth 1 -exec mv -t "$REPOS_ROOT" -- {} +
log "status=ok snapshot=$id taken=$taken repositories=$count restore_seconds=$((restored - start)) check_seconds=$(($(date +%s) - restored))"
printf 'snapshot=%s taken=%s repositories=%s\n' "$id" "$taken" "$count"

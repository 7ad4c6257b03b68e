#!/bin/bash
# shithub-repos-drill [SNAPSHOT]: restore a snapshot of the repositories (default: the newest)
# into a scratch directory, put back each repository's refs as recorded when the snapshot began,
# and run `git fsck --full` on every one (shithub-repos-verify). Exits non-zero on any repository
# that is missing, does not check, or whose refs differ from the record. Root runs it; it drops to
# the backup user.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  set -a
  # shellcheck disable=SC1091 # written on the host by shithub-infra
  . /etc/shithub-repos-backup/restic.env
  set +a
  export HOME=/var/lib/shithub-repos-backup
  exec runuser -u shithub-repos-backup -- "$0" "$@"
fi
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${REFS_DIR:?}" "${RESTIC_REPOSITORY:?}" "${RESTIC_PASSWORD:?}"
snapshot=${1:-latest}
log() { echo "shithub-repos-drill: $*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

work=$(mktemp -d /var/tmp/shithub-repos-drill.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
restic --no-cache restore "$snapshot" --tag repos --target "$work" >/dev/null || fail "restic restore of $snapshot exited $?"
restored=$(date +%s)

repos=$(/usr/local/bin/shithub-repos-verify "$work") || fail "repositories of $snapshot did not restore clean"
log "status=ok snapshot=$snapshot repositories=$repos fsck=clean refs=as-recorded restore_seconds=$((restored - start)) check_seconds=$(($(date +%s) - restored))"

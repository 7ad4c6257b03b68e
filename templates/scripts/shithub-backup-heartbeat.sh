#!/bin/bash
# shithub-backup-heartbeat: what shithubd's /metrics reports as shithub_backup_last_success_seconds
# (internal/infra/metrics/backupobserver.go): epoch seconds in /var/lib/shithub/backup-last-success
# (job daily) and spaces-sync-last-success (job spaces-sync), on the web host. The dumps are taken
# on the backup host, so the heartbeats are read where they matter: the newest dump in the backups
# bucket, and the newest in its DR copy. Runs as shithub (shithub-backup-heartbeat.service).
# A bucket it cannot list leaves that heartbeat as it was, so the metric ages and alerts.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-observer/observer.env
: "${DAILY:?}" "${SPACES_SYNC:?}" "${RCLONE_CONFIG:?}"
export RCLONE_CONFIG TZ=UTC

# newest REMOTE: the epoch of the newest object under REMOTE; nothing when there is none.
newest() {
  local times
  times=$(rclone lsf --recursive --files-only --format t --s3-no-check-bucket "$1") || return 1
  [ -n "$times" ] || return 0
  date -u -d "$(sort <<<"$times" | tail -n 1)" +%s
}

beat() {
  local name=$1 remote=$2 when tmp
  if ! when=$(newest "$remote"); then
    echo "shithub-backup-heartbeat: cannot list $remote; $name left as it was" >&2
    return 1
  fi
  [ -n "$when" ] || return 0
  tmp=$(mktemp /var/lib/shithub/.heartbeat.XXXXXX)
  echo "$when" >"$tmp"
  chmod 0644 "$tmp"
  mv -fT "$tmp" "/var/lib/shithub/$name"
}

status=0
beat backup-last-success "$DAILY" || status=1
beat spaces-sync-last-success "$SPACES_SYNC" || status=1
exit "$status"

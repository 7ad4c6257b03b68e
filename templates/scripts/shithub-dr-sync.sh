#!/bin/bash
# shithub-dr-sync: copy (never delete) new dumps and WAL from the primary buckets to their DR
# copies with the DR-sync key (read on the primaries, write on the copies).
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
[ -f /etc/shithub-backup/backup.env ] && . /etc/shithub-backup/backup.env
: "${DR_SOURCES:?}" "${DR_TARGETS:?}" "${RCLONE_CONFIG:?}"
export RCLONE_CONFIG
read -r -a sources <<<"$DR_SOURCES"
read -r -a targets <<<"$DR_TARGETS"
for i in "${!sources[@]}"; do
  rclone copy --s3-no-check-bucket --retries 3 "${sources[$i]}" "${targets[$i]}"
done

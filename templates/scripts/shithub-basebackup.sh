#!/bin/bash
# shithub-basebackup: a base backup of the cluster, sealed with age and streamed to the WAL bucket under base/.
# Archived WAL replays on top of the newest base backup; without one it is useless.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${WAL_REMOTE:?}" "${WAL_RCLONE_CONFIG:?}" "${AGE_RECIPIENTS:?}"
# The WAL key only: the dump key is not the archiver's to read.
export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
key="base/base-$(date -u +%Y%m%dT%H%M%SZ).tar.gz.age"
# Sealed to the operators' age recipients before it leaves the host.
runuser -u postgres -- pg_basebackup --pgdata=- --format=tar --wal-method=none --gzip --checkpoint=fast |
  age --encrypt --recipients-file "$AGE_RECIPIENTS" | rclone rcat --s3-no-check-bucket "$WAL_REMOTE/$key"
size=$(rclone lsf --s3-no-check-bucket --format s "$WAL_REMOTE/$key")
[ "${size:-0}" -gt 0 ] || { echo "shithub-basebackup: FAILED: $key is empty or missing" >&2; exit 1; }
echo "$key"

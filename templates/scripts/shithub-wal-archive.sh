#!/bin/bash
# shithub-wal-archive PATH NAME: PostgreSQL's archive_command. Uploads one WAL segment to the
# WAL bucket under wal/; a non-zero exit makes PostgreSQL keep the segment and retry.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${WAL_REMOTE:?}" "${RCLONE_CONFIG:?}"
export RCLONE_CONFIG
exec rclone copyto --s3-no-check-bucket --retries 3 "$1" "$WAL_REMOTE/wal/$2"

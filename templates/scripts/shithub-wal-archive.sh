#!/bin/bash
# shithub-wal-archive PATH NAME: PostgreSQL's archive_command. Uploads one WAL segment to the
# WAL bucket under wal/; a non-zero exit makes PostgreSQL keep the segment and retry.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${WAL_REMOTE:?}" "${WAL_RCLONE_CONFIG:?}"
# The WAL key only: the dump key is not the archiver's to read.
export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
# Bounded: a hung upload would hold the archiver, and with it every PostgreSQL shutdown.
# --immutable: a segment already archived with other content is refused, never overwritten.
exec timeout 120 rclone copyto --immutable --s3-no-check-bucket --retries 3 --contimeout 10s --timeout 30s "$1" "$WAL_REMOTE/wal/$2"

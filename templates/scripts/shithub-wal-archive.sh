#!/bin/bash
# shithub-wal-archive PATH NAME: PostgreSQL's archive_command. Compresses one WAL segment with
# zstd, seals it to the operators' age recipients and uploads it to the WAL bucket as
# wal/NAME/<sha256>.zst.age; a non-zero exit makes PostgreSQL keep the segment and retry.
# archive_timeout switches segments every minute while rows change, and a switched segment is
# 16 MiB whatever it holds: its zeroed tail compresses to almost nothing.
#
# Sealing is not deterministic, so an object cannot be compared with a segment; its name carries
# the plain segment's digest instead. A segment already archived with the same digest succeeds
# (PostgreSQL may archive a segment again after a crash); one archived with another digest is
# refused, never overwritten (PostgreSQL's rule for an archive_command).
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${WAL_REMOTE:?}" "${WAL_RCLONE_CONFIG:?}" "${AGE_RECIPIENTS:?}"
# The WAL key only: the dump key is not the archiver's to read.
export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
segment=$1 name=$2
digest=$(sha256sum "$segment" | cut -c1-64)
# Bounded: a hung upload would hold the archiver, and with it every PostgreSQL shutdown.
rc=(timeout 120 rclone --s3-no-check-bucket --retries 3 --contimeout 10s --timeout 30s)
# rclone's exit 3 is "directory not found": nothing archived under that name yet.
archived=$("${rc[@]}" lsf --files-only "$WAL_REMOTE/wal/$name/") || { [ $? = 3 ] || exit 1; archived=""; }
if [ -n "$archived" ]; then
  # .age: an object from before compression, the same segment all the same
  [ "$archived" = "$digest.zst.age" ] || [ "$archived" = "$digest.age" ] && exit 0
  echo "shithub-wal-archive: $name is already archived with other content ($archived); refusing to add $digest" >&2
  exit 1
fi
zstd -q -3 -c -- "$segment" | age --encrypt --recipients-file "$AGE_RECIPIENTS" | "${rc[@]}" rcat "$WAL_REMOTE/wal/$name/$digest.zst.age"

#!/bin/bash
# shithub-wal-restore NAME PATH IDENTITY: a restore_command. Fetches the archived WAL file NAME
# (wal/NAME/<sha256>.zst.age, shithub-wal-archive; <sha256>.age from before compression), opens
# it with the age identity in IDENTITY and writes it to PATH, checking the digest its name
# carries (of several objects, the one that matches). Exits 1 when NAME was never archived
# (PostgreSQL's sign that recovery has reached the end of the archive).
set -euo pipefail
# A recovery reads another stack's bucket (shithub-recover-db): its remote and key, given for the call.
if [ -n "${SHITHUB_WAL_REMOTE:-}" ]; then
  WAL_REMOTE=$SHITHUB_WAL_REMOTE WAL_RCLONE_CONFIG=${SHITHUB_WAL_RCLONE_CONFIG:?}
else
  # shellcheck disable=SC1091 # written on the host by shithub-infra
  . /etc/shithub-backup/backup.env
fi
: "${WAL_REMOTE:?}" "${WAL_RCLONE_CONFIG:?}"
export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
name=$1 path=$2 identity=$3
rc=(rclone --s3-no-check-bucket --retries 3)
# rclone's exit 3 is "directory not found": never archived.
listing=$("${rc[@]}" lsf --files-only "$WAL_REMOTE/wal/$name/") || { [ $? = 3 ] && exit 1; exit 2; }
[ -n "$listing" ] || exit 1
mapfile -t archived <<<"$listing"
# More than one object under a name is someone else's writing (the archiver never writes a
# second): the one whose opened content has the digest its name carries is the archived one.
for object in "${archived[@]}"; do
  case $object in
    *.zst.age) open=(zstd -q -d -c) suffix=.zst.age ;;
    *) open=(cat) suffix=.age ;;
  esac
  if "${rc[@]}" cat "$WAL_REMOTE/wal/$name/$object" | age --decrypt --identity "$identity" | "${open[@]}" >"$path.partial" &&
    [ "$(sha256sum "$path.partial" | cut -c1-64)$suffix" = "$object" ]; then
    [ "${#archived[@]}" = 1 ] || echo "shithub-wal-restore: $name is archived ${#archived[@]} times: took $object, the one that matches its digest" >&2
    mv -f -- "$path.partial" "$path"
    exit 0
  fi
  rm -f -- "$path.partial"
done
echo "shithub-wal-restore: no object of $name matches its digest (${archived[*]})" >&2
exit 2

#!/bin/bash
# shithub-base-before REMOTE [TIME]: prints the name of the newest base backup in REMOTE/base
# (base-YYYYMMDDTHHMMSSZ.tar.gz.age, shithub-basebackup) taken at or before TIME (default: now);
# exits 1 when there is none. RCLONE_CONFIG is the caller's: the key that reads REMOTE.
set -euo pipefail
remote=${1:?usage: shithub-base-before REMOTE [TIME]}
limit=$(date -u -d "${2:-now}" +%s) || { echo "shithub-base-before: cannot read the time $2" >&2; exit 2; }
base=""
while read -r name; do
  [[ $name =~ ^base-([0-9]{8})T([0-9]{2})([0-9]{2})([0-9]{2})Z\.tar\.gz\.age$ ]] || continue
  taken=$(date -u -d "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:${BASH_REMATCH[3]}:${BASH_REMATCH[4]}" +%s)
  [ "$taken" -le "$limit" ] && base=$name
done < <(rclone lsf --s3-no-check-bucket --files-only "$remote/base" | sort)
[ -n "$base" ] || exit 1
echo "$base"

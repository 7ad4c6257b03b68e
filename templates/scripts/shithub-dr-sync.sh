#!/bin/bash
# shithub-dr-sync: copy what is new in the primary buckets to their DR copies with the DR-sync key
# (read on the primaries, write on the copies). Never deletes, never overwrites: an object that
# changed in a primary after it was copied is refused and reported (the copy keeps the first one),
# so garbage written to a primary cannot spread to the DR region.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-dr/dr-sync.env
: "${DR_PAIRS:?}" "${RCLONE_CONFIG:?}" "${DR_HEARTBEAT:?}"
export RCLONE_CONFIG
read -r -a pairs <<<"$DR_PAIRS"
failed=0
for ((i = 0; i < ${#pairs[@]}; i += 2)); do
  # restic's locks come and go; the copy needs none of them.
  if ! rclone copy --immutable --s3-no-check-bucket --retries 3 --exclude 'locks/**' "${pairs[i]}" "${pairs[i + 1]}"; then
    echo "shithub-dr-sync: FAILED: ${pairs[i]} -> ${pairs[i + 1]}" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
date -u +%s >"$DR_HEARTBEAT.tmp" && mv -f "$DR_HEARTBEAT.tmp" "$DR_HEARTBEAT"
echo "shithub-dr-sync: status=ok"

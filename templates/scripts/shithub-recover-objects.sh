#!/bin/bash
# shithub-recover-objects: shithubd's objects (attachments, avatars, LFS, Actions artifacts) from
# the lost environment's bucket into this stack's, adding only, then checked: every object read
# is in this stack's bucket with the same size and checksum. Nothing to do when the stack
# recovers in place from its primaries. Prints the number of objects.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-recovery/app.env
: "${RECOVERY_RCLONE_CONFIG:?}" "${RECOVERY_OBJECTS_SOURCE:?}"
export RCLONE_CONFIG=$RECOVERY_RCLONE_CONFIG
log() { echo "shithub-recover-objects: $*" >&2; }
rc=(rclone --s3-no-check-bucket --retries 3)

if [ -z "${RECOVERY_OBJECTS_TARGET:-}" ]; then
  count=$("${rc[@]}" lsf --recursive --files-only "$RECOVERY_OBJECTS_SOURCE" | wc -l)
  log "status=ok in-place objects=$count"
  echo "$count"
  exit 0
fi
start=$(date +%s)
"${rc[@]}" copy --transfers 8 "$RECOVERY_OBJECTS_SOURCE" "$RECOVERY_OBJECTS_TARGET" ||
  { log "FAILED: copying $RECOVERY_OBJECTS_SOURCE to $RECOVERY_OBJECTS_TARGET"; exit 1; }
"${rc[@]}" check --one-way --quiet "$RECOVERY_OBJECTS_SOURCE" "$RECOVERY_OBJECTS_TARGET" ||
  { log "FAILED: $RECOVERY_OBJECTS_TARGET differs from $RECOVERY_OBJECTS_SOURCE after the copy"; exit 1; }
count=$("${rc[@]}" lsf --recursive --files-only "$RECOVERY_OBJECTS_SOURCE" | wc -l)
log "status=ok objects=$count seconds=$(($(date +%s) - start))"
echo "$count"

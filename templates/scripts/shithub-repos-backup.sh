#!/bin/bash
# shithub-repos-backup: an encrypted, deduplicating restic snapshot of every Git repository under
# REPOS_ROOT, consistent with pushes in flight, then restic's retention. Runs as its own user with
# CAP_DAC_READ_SEARCH (it reads the repositories, writes nothing of them).
#
# Consistency without stopping pushes: git makes every object a ref points to durable before it
# moves the ref, and deletes no reachable object. So each repository's refs are recorded first
# (refs/<repo>.refs, in the same snapshot); every object they reach is still there when restic
# reads the objects afterwards. A restore puts the recorded refs back (shithub-repos-drill), so
# a ref a push moved during the snapshot, whose objects restic may have missed, is never used.
# Settings: /etc/shithub-repos-backup/repos-backup.env; restic's in the unit's environment.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${REFS_DIR:?}" "${REPOS_HEARTBEAT:?}" "${KEEP_DAILY:?}" "${KEEP_WEEKLY:?}" "${KEEP_MONTHLY:?}"
: "${RESTIC_REPOSITORY:?}" "${RESTIC_PASSWORD:?}"
log() { echo "shithub-repos-backup: $*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
# The repositories are shithub's: git refuses another owner's unless told it is safe.
g() { git -c safe.directory='*' "$@"; }

[ -d "$REPOS_ROOT" ] || fail "$REPOS_ROOT does not exist"
start=$(date +%s)
rm -rf "$REFS_DIR.next"
mkdir -p "$REFS_DIR.next"
count=0
while IFS= read -r -d '' repo; do
  [ -f "$repo/HEAD" ] || continue
  rel=${repo#"$REPOS_ROOT"/}
  mkdir -p "$REFS_DIR.next/$(dirname "$rel")"
  {
    printf 'HEAD %s\n' "$(g -C "$repo" symbolic-ref -q HEAD || echo detached)"
    g -C "$repo" for-each-ref --format='%(objectname) %(refname)'
  } >"$REFS_DIR.next/$rel.refs" || fail "could not read the refs of $rel"
  count=$((count + 1))
done < <(find "$REPOS_ROOT" -type d -name '*.git' -prune -print0)
rm -rf "$REFS_DIR"
mv "$REFS_DIR.next" "$REFS_DIR"

# A push's quarantine, lock files and half-written packs are not part of any repository yet.
# restic exits 3 when a file vanished under it (a repack): that snapshot is incomplete, so a failure.
restic backup --quiet --tag repos --exclude 'objects/incoming-*' --exclude '*.lock' --exclude 'tmp_*' \
  "$REPOS_ROOT" "$REFS_DIR" || fail "restic backup exited $?"
restic forget --quiet --tag repos --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune ||
  fail "restic forget/prune exited $?"
snapshot=$(restic snapshots --tag repos --latest 1 --json | sed -n 's/.*"short_id":"\([0-9a-f]*\)".*/\1/p' | tail -n 1)
date -u +%s >"$REPOS_HEARTBEAT.tmp" && mv -f "$REPOS_HEARTBEAT.tmp" "$REPOS_HEARTBEAT"
log "status=ok snapshot=$snapshot repositories=$count seconds=$(($(date +%s) - start))"

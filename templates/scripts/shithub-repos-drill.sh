#!/bin/bash
# shithub-repos-drill [SNAPSHOT]: restore a snapshot of the repositories (default: the newest)
# into a scratch directory, put back each repository's refs as recorded when the snapshot began,
# and run `git fsck --full` on every one. Exits non-zero on any repository that is missing, does
# not check, or whose refs differ from the record. Root runs it; it drops to the backup user.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  set -a
  # shellcheck disable=SC1091 # written on the host by shithub-infra
  . /etc/shithub-repos-backup/restic.env
  set +a
  export HOME=/var/lib/shithub-repos-backup
  exec runuser -u shithub-repos-backup -- "$0" "$@"
fi
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${REFS_DIR:?}" "${RESTIC_REPOSITORY:?}" "${RESTIC_PASSWORD:?}"
snapshot=${1:-latest}
log() { echo "shithub-repos-drill: $*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

work=$(mktemp -d /var/tmp/shithub-repos-drill.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
restic --no-cache restore "$snapshot" --tag repos --target "$work" >/dev/null || fail "restic restore of $snapshot exited $?"
restored=$(date +%s)

repos=0 bad=0
while IFS= read -r -d '' record; do
  rel=${record#"$work$REFS_DIR"/}
  rel=${rel%.refs}
  repo=$work$REPOS_ROOT/$rel
  if [ ! -f "$repo/HEAD" ]; then
    log "$rel: in the record, missing from the snapshot"
    bad=$((bad + 1))
    continue
  fi
  # The refs as recorded: drop every ref, then create each; a ref whose object is missing fails here.
  git -C "$repo" for-each-ref --format='delete %(refname)' | git -C "$repo" update-ref --stdin
  head=$(sed -n 's/^HEAD //p' "$record")
  [ "$head" = detached ] || git -C "$repo" symbolic-ref HEAD "$head"
  if ! grep -v '^HEAD ' "$record" | awk '{ print "create " $2 " " $1 }' | git -C "$repo" update-ref --stdin 2>"$work/update.err"; then
    log "$rel: a recorded ref points to a missing object: $(head -n 1 "$work/update.err")"
    bad=$((bad + 1))
    continue
  fi
  if ! git -C "$repo" fsck --full --no-progress --no-dangling >"$work/fsck.out" 2>&1; then
    log "$rel: git fsck: $(head -n 3 "$work/fsck.out" | tr '\n' ' ')"
    bad=$((bad + 1))
    continue
  fi
  if ! diff -q <(grep -v '^HEAD ' "$record") <(git -C "$repo" for-each-ref --format='%(objectname) %(refname)') >/dev/null; then
    log "$rel: refs differ from the record"
    bad=$((bad + 1))
    continue
  fi
  repos=$((repos + 1))
done < <(find "$work$REFS_DIR" -name '*.refs' -print0 2>/dev/null)

[ "$bad" = 0 ] || fail "$bad of $((repos + bad)) repositories did not restore clean from $snapshot"
log "status=ok snapshot=$snapshot repositories=$repos fsck=clean refs=as-recorded restore_seconds=$((restored - start)) check_seconds=$(($(date +%s) - restored))"

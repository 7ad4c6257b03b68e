#!/bin/bash
# shithub-repos-verify DIR: the repositories a restic snapshot restored under DIR (DIR/$REPOS_ROOT,
# with the snapshot's record of every repository's refs in DIR/$REFS_DIR) get their refs back as
# recorded, then each must pass `git fsck --full` with refs equal to the record. Prints how many
# repositories checked clean; exits 1 on any that is missing, does not check, or differs.
# Shared by the drill (shithub-repos-drill) and a recovery (shithub-recover-repos).
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-repos-backup/repos-backup.env
: "${REPOS_ROOT:?}" "${REFS_DIR:?}"
work=${1:?usage: shithub-repos-verify DIR}
log() { echo "shithub-repos-verify: $*" >&2; }
# Root checks repositories that are shithub's: git refuses another owner's unless told it is safe.
g() { git -c safe.directory='*' "$@"; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

[ -d "$work$REFS_DIR" ] || { log "$work holds no record of refs: not a snapshot of the repositories"; exit 1; }
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
  g -C "$repo" for-each-ref --format='delete %(refname)' | g -C "$repo" update-ref --stdin
  head=$(sed -n 's/^HEAD //p' "$record")
  [ "$head" = detached ] || g -C "$repo" symbolic-ref HEAD "$head"
  if ! grep -v '^HEAD ' "$record" | awk '{ print "create " $2 " " $1 }' | g -C "$repo" update-ref --stdin 2>"$scratch/update.err"; then
    log "$rel: a recorded ref points to a missing object: $(head -n 1 "$scratch/update.err")"
    bad=$((bad + 1))
    continue
  fi
  if ! g -C "$repo" fsck --full --no-progress --no-dangling >"$scratch/fsck.out" 2>&1; then
    log "$rel: git fsck: $(head -n 3 "$scratch/fsck.out" | tr '\n' ' ')"
    bad=$((bad + 1))
    continue
  fi
  if ! diff -q <(grep -v '^HEAD ' "$record") <(g -C "$repo" for-each-ref --format='%(objectname) %(refname)') >/dev/null; then
    log "$rel: refs differ from the record"
    bad=$((bad + 1))
    continue
  fi
  repos=$((repos + 1))
done < <(find "$work$REFS_DIR" -name '*.refs' -print0)

[ "$bad" = 0 ] || { log "$bad of $((repos + bad)) repositories did not restore clean"; exit 1; }
echo "$repos"

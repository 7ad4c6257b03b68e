#!/bin/bash
# Managed by shithub-infra (templates/ops/shithub-drift.sh): every file the program owns on this
# host against what the steps that installed it recorded (/var/lib/shithub-manifest/<step>:
# sha256sum's lines, written by each setup and release step once it succeeded). Prints one line per
# difference, tab-separated:
#   changed <path> <step>   the file is not what the step installed (edited by hand, or by a package)
#   missing <path> <step>   the step installed it and it is gone
#   extra   <path> -        in a place the program owns (OWNED's patterns), recorded by no step
# then `checked <files> <steps>`. Exit 0: no drift; 1: drift; 2: nothing recorded to compare with.
# --record also writes "<epoch> <changed> <missing> <extra>" (when anything is recorded) for the node metrics
# (shithub_drift_files, shithub_drift_checked_seconds; shithub-drift.timer runs it every 15 minutes).
# ROOT prefixes every path (the tools tier checks a copy of a host's files).
set -euo pipefail
ROOT=${ROOT:-}
# shellcheck disable=SC1091 # written by the ops setup step
if [ -r "$ROOT/etc/shithub-ops/ops.env" ]; then . "$ROOT/etc/shithub-ops/ops.env"; fi
OWNED=${OWNED:-}
MANIFEST_DIR=$ROOT/var/lib/shithub-manifest
RESULT=$ROOT/var/lib/shithub-drift/result
record=0
case ${1:-} in
  --record) record=1 ;;
  "") ;;
  *) echo "usage: shithub-drift [--record]" >&2; exit 64 ;;
esac

declare -A recorded=()
changed=0 missing=0 extra=0 files=0 steps=0
for manifest in "$MANIFEST_DIR"/shithub-*; do
  [ -f "$manifest" ] || continue
  step=$(basename "$manifest")
  steps=$((steps + 1))
  while read -r sum path; do
    [ -n "$path" ] || continue
    files=$((files + 1))
    recorded[$path]=1
    if [ ! -f "$ROOT$path" ]; then
      printf 'missing\t%s\t%s\n' "$path" "$step"
      missing=$((missing + 1))
    elif [ "$(sha256sum <"$ROOT$path" | cut -d' ' -f1)" != "$sum" ]; then
      printf 'changed\t%s\t%s\n' "$path" "$step"
      changed=$((changed + 1))
    fi
  done <"$manifest"
done

# What the user data wrote at first boot is the program's too, but no step records it.
if [ -r "$ROOT/etc/shithub-ops/bootstrap" ]; then
  while read -r path; do [ -z "$path" ] || recorded[$path]=1; done <"$ROOT/etc/shithub-ops/bootstrap"
fi
read -ra patterns <<<"$OWNED"
shopt -s nullglob
for pattern in "${patterns[@]}"; do
  # shellcheck disable=SC2206 # the pattern is a glob, expanded under ROOT
  matches=("$ROOT"$pattern)
  for found in "${matches[@]}"; do
    [ -f "$found" ] || continue
    path=${found#"$ROOT"}
    case $(basename "$path") in .*) continue ;; esac
    if [ -z "${recorded[$path]:-}" ]; then
      printf 'extra\t%s\t-\n' "$path"
      extra=$((extra + 1))
    fi
  done
done
shopt -u nullglob
printf 'checked\t%s\t%s\n' "$files" "$steps"

# Nothing recorded (a new host whose steps are still running): nothing to report to the metrics.
if [ "$record" = 1 ] && [ "$steps" -gt 0 ]; then
  install -d -m 0755 "$(dirname "$RESULT")"
  printf '%s %s %s %s\n' "$(date +%s)" "$changed" "$missing" "$extra" >"$RESULT.new"
  chmod 0644 "$RESULT.new"
  mv -f "$RESULT.new" "$RESULT"
fi
[ "$steps" -gt 0 ] || exit 2
[ $((changed + missing + extra)) -eq 0 ] || exit 1

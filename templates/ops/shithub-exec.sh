#!/bin/bash
# Managed by shithub-infra (templates/ops/shithub-exec.sh): `shithub-exec [-i] -- ARGS...` runs
# `shithubd ARGS` once, as the web unit runs shithubd: as shithub, with its EnvironmentFile and
# its sandbox (every property of shithubd-web.service's [Service] section but those that say how
# it starts, stops and restarts), in a transient unit (systemd-run --pipe). The secrets stay in
# the environment file: none is on a command line, in the journal or in this script's output
# but for what shithubd itself prints. -i: stdin goes to shithubd (otherwise it reads nothing).
set -euo pipefail
UNIT=shithubd-web.service
interactive=0
while [ $# -gt 0 ]; do
  case $1 in
    -i) interactive=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: shithub-exec [-i] -- <shithubd arguments>" >&2; exit 64; }
systemctl cat "$UNIT" >/dev/null 2>&1 || { echo "shithub-exec: $UNIT is not installed on this host (an app host runs shithubd)" >&2; exit 1; }

# The unit's own lines, its drop-ins' after it: what systemd reads, in its order.
props=()
section=""
while IFS= read -r line; do
  case $line in
    "#"* | "") continue ;;
    "["*"]") section=$line; continue ;;
  esac
  [ "$section" = "[Service]" ] || continue
  key=${line%%=*}
  case $key in
    Type | ExecStart | ExecStartPre | ExecStartPost | ExecStop | ExecStopPost | ExecReload | Restart | RestartSec | \
      TimeoutStartSec | TimeoutStopSec | TimeoutSec | WatchdogSec | PIDFile | NotifyAccess | RemainAfterExit | StartLimitBurst | StartLimitIntervalSec) continue ;;
  esac
  props+=(-p "$line")
done < <(systemctl cat "$UNIT")

stdin=(--pipe)
if [ "$interactive" = 0 ]; then exec </dev/null; fi
exec systemd-run --quiet --wait --collect "${stdin[@]}" --unit="shithub-exec-$$" --description="shithub-exec (shithubd as $UNIT runs it)" \
  "${props[@]}" -- /usr/local/bin/shithubd "$@"

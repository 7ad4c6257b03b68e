#!/bin/bash
# Managed by shithub-infra (templates/ops/shithub-maintenance.sh): the forge read-only, or not.
#   shithub-maintenance on [MESSAGE]   writes and pushes refused with MESSAGE; reads and clones go on
#   shithub-maintenance off
#   shithub-maintenance show           prints "maintenance<TAB>on<TAB><since, UTC><TAB><message>" or "maintenance<TAB>off"
# The state is one file, /var/lib/shithub-maintenance/message.txt, kept on the root disk: no
# release, setup step or reboot touches it. The edge (Caddy's file matcher) answers writes and
# pushes over HTTPS with 503, Retry-After and the file as the body; git over SSH (the git-shell
# wrapper) refuses git-receive-pack with it.
set -euo pipefail
DIR=${ROOT:-}/var/lib/shithub-maintenance
STATE=$DIR/message.txt
DEFAULT="shithub is read-only for maintenance: browsing and clones work, writes and pushes are refused. Please try again later."

show() {
  if [ -f "$STATE" ]; then
    printf 'maintenance\ton\t%s\t%s\n' "$(date -u -r "$STATE" +%Y-%m-%dT%H:%M:%SZ)" "$(head -n 1 "$STATE" | tr '\t' ' ')"
  else
    printf 'maintenance\toff\n'
  fi
}

case ${1:-} in
  on)
    message=${2:-$DEFAULT}
    # One line of printable text: it becomes an HTTP body and a line on a git client's terminal.
    message=$(printf '%s' "$message" | tr -d '\000-\010\013-\037\177' | tr '\n' ' ' | cut -c1-500)
    [ -n "${message// /}" ] || message=$DEFAULT
    install -d -m 0755 -o root -g root "$DIR"
    tmp=$(mktemp "$DIR/.message.XXXXXX")
    printf '%s\n' "$message" >"$tmp"
    chmod 0644 "$tmp"
    mv -fT "$tmp" "$STATE"
    logger -t shithub-maintenance "on: $message" 2>/dev/null || true
    show
    ;;
  off)
    rm -f -- "$STATE"
    logger -t shithub-maintenance "off" 2>/dev/null || true
    show
    ;;
  show | "") show ;;
  *)
    echo "usage: shithub-maintenance on [MESSAGE] | off | show" >&2
    exit 64
    ;;
esac

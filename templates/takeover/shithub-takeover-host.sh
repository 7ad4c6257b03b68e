#!/bin/bash
# shithub-takeover-host <verb>: a stack host's side of the takeover (docs/runbooks/takeover.md), run as
# root. The stack's hosts reach the live box over SSH only, each with a key of its own that the
# live box lets in for one thing (shithub-takeover-source authorize), against the host key the
# operator's own session read from it. Keys live in /etc/shithub-takeover, root's alone.
#
#   key NAME          makes this host's key NAME (once) and prints its public half
#   trust ADDRESS     pins the live box's host key (one "ssh-ed25519 ..." line on stdin) at ADDRESS
#   tunnel-up ADDRESS (db host) the live box's PostgreSQL at 127.0.0.1:15432 through SSH, as a
#                     unit that restarts when the connection drops; waits until it answers
#   tunnel-down       stops the tunnel
#   copy ADDRESS      (app host) /data/repos from the live box by rsync, deletions included, owners
#                     by name; prints each repository it changed, one per line
#   refs              every repository's refs under /data/repos, sorted: "<repo> <ref> <object>"
#   fsck [--all]      git fsck --strict on the repositories named on stdin (or every one)
#   forget            the tunnel, the keys and the pinned host key removed
set -euo pipefail
DIR=/etc/shithub-takeover
REPOS=/data/repos
TUNNEL=shithub-takeover-tunnel.service
TUNNEL_PORT=15432

die() { printf 'shithub-takeover-host: %s\n' "$*" >&2; exit "${2:-1}"; }
check_address() { [[ ${1:-} =~ ^[0-9a-fA-F:.]+$ ]] || die "not an address: ${1:-}" 2; }
ssh_to() { # NAME: the ssh command line with key NAME, against the pinned host key only
  printf 'ssh -i %s/%s -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=%s/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o ConnectTimeout=10' "$DIR" "$1" "$DIR"
}
# Repositories are the directories named *.git under /data/repos (at any depth).
repositories() { (cd "$REPOS" && find . -name '*.git' -type d -prune | sed 's|^\./||' | sort); }

case ${1:-} in
  key)
    name=${2:-}
    [[ $name =~ ^(tunnel|copy)$ ]] || die "key tunnel|copy" 2
    install -d -m 0700 "$DIR"
    [ -f "$DIR/$name" ] || ssh-keygen -q -t ed25519 -N '' -C "shithub-takeover-$name@$(hostname)" -f "$DIR/$name"
    cut -d' ' -f1,2 "$DIR/$name.pub"
    ;;
  trust)
    address=${2:-}
    check_address "$address"
    line=$(head -n 1)
    [[ $line =~ ^ssh-ed25519\ [A-Za-z0-9+/=]+ ]] || die "stdin holds no ssh-ed25519 host key" 2
    install -d -m 0700 "$DIR"
    printf '%s %s\n' "$address" "$(cut -d' ' -f1,2 <<<"$line")" >"$DIR/known_hosts"
    echo "pinned the host key of $address"
    ;;
  tunnel-up)
    address=${2:-}
    check_address "$address"
    if [ ! -f "$DIR/tunnel" ] || [ ! -f "$DIR/known_hosts" ]; then die "no key or pinned host key: run key tunnel and trust first"; fi
    systemctl stop "$TUNNEL" 2>/dev/null || true
    systemctl reset-failed "$TUNNEL" 2>/dev/null || true
    # shellcheck disable=SC2046 # the ssh options are words
    systemd-run --quiet --unit="$TUNNEL" -p Restart=always -p RestartSec=2 -p StartLimitIntervalSec=0 \
      $(ssh_to tunnel) -N -o ExitOnForwardFailure=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=3 \
      -L "127.0.0.1:$TUNNEL_PORT:127.0.0.1:5432" "root@$address"
    for _ in $(seq 1 60); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$TUNNEL_PORT") 2>/dev/null; then echo "tunnel up: 127.0.0.1:$TUNNEL_PORT is the live box's PostgreSQL"; exit 0; fi
      sleep 1
    done
    die "the tunnel to $address did not come up: $(journalctl -u "$TUNNEL" -n 5 --no-pager -o cat | tr '\n' ' ')"
    ;;
  tunnel-down)
    systemctl stop "$TUNNEL" 2>/dev/null || true
    systemctl reset-failed "$TUNNEL" 2>/dev/null || true
    ;;
  copy)
    address=${2:-}
    check_address "$address"
    if [ ! -f "$DIR/copy" ] || [ ! -f "$DIR/known_hosts" ]; then die "no key or pinned host key: run key copy and trust first"; fi
    install -d -m 0750 "$REPOS"
    # rrsync on the live box serves /data/repos read-only as the root of the transfer.
    changes=$(rsync -a --delete --out-format='%i %n' -e "$(ssh_to copy)" "root@$address:./" "$REPOS/") || die "rsync from $address failed"
    [ -z "$changes" ] || sed -E 's#^[^ ]+ +##; s#(\.git)/.*#\1#' <<<"$changes" | { grep -E '\.git$' || true; } | sort -u
    ;;
  refs)
    for repo in $(repositories); do
      runuser -u shithub -- git -C "$REPOS/$repo" for-each-ref --format="$repo %(refname) %(objectname)"
    done
    ;;
  fsck)
    if [ "${2:-}" = --all ]; then list=$(repositories); else list=$(cat); fi
    # One repository per core at a time; git's own message names the one that fails.
    count=$(grep -c . <<<"$list" || true)
    if [ "$count" -gt 0 ]; then
      # shellcheck disable=SC2016 # $1 is the inner sh's
      grep . <<<"$list" | (cd "$REPOS" && xargs -r -d '\n' -P "$(nproc)" -I{} sh -c 'test ! -d "$1" || runuser -u shithub -- git -C "$1" fsck --no-progress --strict || { echo "git fsck --strict failed in $1" >&2; exit 1; }' fsck {}) >&2 ||
        die "git fsck --strict failed (above)"
    fi
    echo "$count repositories fsck clean"
    ;;
  forget)
    systemctl stop "$TUNNEL" 2>/dev/null || true
    systemctl reset-failed "$TUNNEL" 2>/dev/null || true
    rm -rf -- "$DIR"
    echo "takeover keys forgotten"
    ;;
  *)
    sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac

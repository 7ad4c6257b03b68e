#!/bin/bash
# shithub-takeover-source <verb>: the live forge's side of the takeover window (docs/runbooks/takeover.md),
# run as root on the old box. What it changes it records first under /var/lib/shithub-takeover,
# so `window-abort` puts the forge back exactly as it was, with every write it took.
#
#   window-start SECONDS  the forge stops taking writes: HTTPS answers 503 with Retry-After SECONDS
#                         (Caddy's admin API puts the answer in front of every route, the Caddyfile
#                         is untouched), git over SSH refuses with a message, pushes in flight finish,
#                         then shithubd and root's cron jobs stop. The database and the repositories
#                         no longer change.
#   window-abort          back out of the window: cron jobs, shithubd, SSH and HTTPS as they were.
#   host-key              prints this box's ed25519 host key, for the stack's hosts to pin
#   authorize tunnel|copy ADDRESS  lets one stack host in as root with the key on stdin, from
#                         ADDRESS only and for one thing: tunnel forwards to the local PostgreSQL
#                         (127.0.0.1:5432) and runs nothing; copy runs rrsync read-only on /data/repos
#   deauthorize           removes every key and sshd block authorize added
#   retire                after the switch: nothing of the old forge runs again (shithubd, its cron
#                         jobs, Caddy, PostgreSQL and its WAL archiving are stopped and disabled;
#                         the data stays on disk), and git over SSH keeps refusing.
set -euo pipefail
STATE=/var/lib/shithub-takeover
SSHD=/etc/ssh/sshd_config
# git's login shell runs the ForceCommand: git-shell runs only commands in its home's
# git-shell-commands, so the refusal goes there and is named bare.
GIT_HOME=$(getent passwd git | cut -d: -f6)
if [[ $(getent passwd git | cut -d: -f7) == */git-shell ]]; then
  REFUSE=$GIT_HOME/git-shell-commands/shithub-takeover-refuse FORCED=shithub-takeover-refuse
else
  REFUSE=/usr/local/sbin/shithub-takeover-refuse FORCED=$REFUSE
fi
MARK="# shithub-takeover window"
LINK="# shithub-takeover link"
KEYS=/root/.ssh/authorized_keys
UNITS=(shithubd-web.service shithubd-worker.service shithubd-cron.timer)
CADDY_ADMIN=${TAKEOVER_CADDY_ADMIN:-http://localhost:2019}

die() { printf 'shithub-takeover-source: %s\n' "$*" >&2; exit "${2:-1}"; }
log() { printf 'shithub-takeover-source: %s\n' "$*" >&2; }

# A block of sshd settings between "MARK" and "MARK end", after the box's own Match blocks.
add_block() { # MARK TEXT
  if ! grep -qxF "$1" "$SSHD"; then
    [ -z "$(tail -c 1 "$SSHD")" ] || echo >>"$SSHD"
    printf '%s\n%s\n%s end\n' "$1" "$2" "$1" >>"$SSHD"
  fi
  sshd -t || die "sshd refuses its config with the takeover's block"
  systemctl reload ssh
}

remove_block() { # MARK
  if grep -qxF "$1" "$SSHD"; then
    sed -i "\\|^$1\$|,\\|^$1 end\$|d" "$SSHD"
    sshd -t || die "sshd refuses its config"
    systemctl reload ssh
  fi
}

# git over SSH: a Match block after the box's own, whose ForceCommand wins over the key's command=.
refuse_git() {
  cat >"$REFUSE.new" <<'SH'
#!/bin/sh
echo "shithub is moving to new hosts: pushes and clones are paused for a few minutes. Nothing you pushed before is lost; retry shortly." >&2
exit 1
SH
  chmod 0755 "$REFUSE.new" && mv -f "$REFUSE.new" "$REFUSE"
  add_block "$MARK" "$(printf 'Match User git\n    ForceCommand %s' "$FORCED")"
}

allow_git() {
  remove_block "$MARK"
  rm -f -- "$REFUSE"
}

# HTTPS: a 503 route at the front of every server Caddy runs, through its admin API; a reload
# from the Caddyfile takes it away again.
maintenance_on() {
  local seconds=$1 servers server route
  servers=$(curl -fsS "$CADDY_ADMIN/config/apps/http/servers" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))') ||
    die "Caddy's admin API does not answer at $CADDY_ADMIN"
  route=$(python3 -c 'import json,sys; print(json.dumps({"handle": [{"handler": "static_response", "status_code": 503, "headers": {"Retry-After": [sys.argv[1]]}, "body": "shithub is moving to new hosts and is back in a few minutes.\n", "close": True}]}))' "$seconds")
  for server in $servers; do
    curl -fsS -X PUT -H 'Content-Type: application/json' -d "$route" "$CADDY_ADMIN/config/apps/http/servers/$server/routes/0" >/dev/null ||
      die "Caddy did not take the maintenance answer on $server"
  done
}

maintenance_off() { systemctl reload caddy || die "Caddy did not reload its Caddyfile"; }

# Pushes already inside git-receive-pack (over SSH or HTTPS) finish before shithubd stops.
await_pushes() {
  for _ in $(seq 1 300); do
    pgrep -x git-receive-pack >/dev/null || return 0
    sleep 1
  done
  die "a push is still running after 300 s"
}

case ${1:-} in
  window-start)
    seconds=${2:?window-start needs the Retry-After seconds}
    [[ $seconds =~ ^[0-9]+$ ]] || die "not a number of seconds: $seconds" 2
    install -d -m 0700 "$STATE"
    [ -f "$STATE/crontab" ] || { crontab -l 2>/dev/null || true; } >"$STATE/crontab"
    maintenance_on "$seconds"
    refuse_git
    await_pushes
    systemctl stop "${UNITS[@]}"
    crontab -r 2>/dev/null || true
    log "in the window: HTTPS answers 503, git over SSH refuses, shithubd and root's cron jobs are stopped"
    ;;
  window-abort)
    [ -d "$STATE" ] || die "no window to abort (nothing recorded in $STATE)"
    if [ -s "$STATE/crontab" ]; then crontab "$STATE/crontab"; fi
    systemctl start "${UNITS[@]}"
    allow_git
    maintenance_off
    rm -rf -- "$STATE"
    log "out of the window: the old forge serves and takes writes again"
    ;;
  host-key)
    cat /etc/ssh/ssh_host_ed25519_key.pub
    ;;
  authorize)
    what=${2:-} address=${3:-}
    [[ $address =~ ^[0-9a-fA-F:.]+$ ]] || die "authorize needs the stack host's address: $address" 2
    key=$(head -n 1)
    [[ $key =~ ^ssh-ed25519\ [A-Za-z0-9+/=]+$ ]] || die "stdin holds no ssh-ed25519 public key" 2
    case $what in
      tunnel)
        options="restrict,port-forwarding,permitopen=\"127.0.0.1:5432\",from=\"$address\",command=\"/bin/false\""
        # The box forwards nothing by default; this one host may reach its PostgreSQL, as root, and nothing else.
        add_block "$LINK" "$(printf 'Match User root Address %s\n    AllowTcpForwarding local\n    PermitOpen 127.0.0.1:5432' "$address")"
        ;;
      copy)
        rrsync=$(command -v rrsync || echo /usr/share/doc/rsync/scripts/rrsync)
        [ -x "$rrsync" ] || die "rrsync is not installed (apt-get install rsync)"
        options="restrict,from=\"$address\",command=\"$rrsync -ro /data/repos\""
        ;;
      *) die "authorize tunnel|copy ADDRESS" 2 ;;
    esac
    install -d -m 0700 /root/.ssh
    touch "$KEYS"
    grep -vF " shithub-takeover-$what" "$KEYS" >"$KEYS.takeover" || true
    printf '%s %s shithub-takeover-%s\n' "$options" "$key" "$what" >>"$KEYS.takeover"
    chmod 0600 "$KEYS.takeover" && mv -f "$KEYS.takeover" "$KEYS"
    log "authorized $address for the $what"
    ;;
  deauthorize)
    if [ -f "$KEYS" ]; then
      grep -vE " shithub-takeover-(tunnel|copy)\$" "$KEYS" >"$KEYS.takeover" || true
      chmod 0600 "$KEYS.takeover" && mv -f "$KEYS.takeover" "$KEYS"
    fi
    remove_block "$LINK"
    log "the stack's hosts are no longer let in"
    ;;
  retire)
    [ -d "$STATE" ] || die "retire comes after window-start (nothing recorded in $STATE)"
    refuse_git
    remove_block "$LINK"
    if [ -f "$KEYS" ]; then grep -vE " shithub-takeover-(tunnel|copy)\$" "$KEYS" >"$KEYS.takeover" || true; chmod 0600 "$KEYS.takeover" && mv -f "$KEYS.takeover" "$KEYS"; fi
    crontab -r 2>/dev/null || true
    systemctl disable --now "${UNITS[@]}" caddy.service postgresql.service >/dev/null 2>&1 || true
    for unit in $(systemctl list-units --plain --no-legend 'postgresql@*' | cut -d' ' -f1); do systemctl disable --now "$unit" >/dev/null 2>&1 || true; done
    if systemctl is-active --quiet "${UNITS[@]}" caddy.service || pgrep -x postgres >/dev/null; then die "something of the old forge still runs"; fi
    log "retired: shithubd, its cron jobs, Caddy and PostgreSQL are stopped and disabled; the data stays in /data"
    ;;
  *)
    sed -n '2,22s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac

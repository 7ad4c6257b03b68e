# shithub-release: one shithubd release on one app host. shithub-infra sends it on stdin
# after a header that sets the variables below and stages the host files (stage_file), so
# secrets never appear on a command line or in the SSH session's environment.
#
# Idempotent: with the same inputs it changes nothing and restarts nothing. On any failure
# after the switch it puts the previous release, env files and units back, restarts them and
# exits non-zero with a one-line reason on stderr. It never prints a file's contents.

: "${RELEASE_VERSION:?}" "${ARTIFACT_SHA256:?}" "${ARTIFACT_URL?}" "${ARTIFACT_UPLOAD?}" "${ARTIFACT_SIGNING_KEY?}"
: "${HEALTH_URLS:?}" "${HEALTH_TIMEOUT:?}" "${KEEP_RELEASES:?}" "${STAGE:?}" "${STANDBY:?}"

# Everything root trusts lives in root-owned places the service user cannot write: the releases,
# the download in progress and the rollback copies. /var/lib/shithub is shithubd's state only.
RELEASES=/opt/shithub/releases
WORK=/var/lib/shithub-release
# Releases before these paths kept their binaries in the service user's state directory.
OLD_RELEASES=/var/lib/shithub/releases
# A release name, as shithub-infra's config check accepts it (shithubd:version).
VERSION_PATTERN='^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
# The path every unit and hook runs: a regular file, replaced by rename. shithubd writes the path
# it runs from (os.Executable, symlinks resolved) into each repository's hooks, so a symlink into a
# release directory would leave hooks pointing at a directory a later release prunes.
BIN=/usr/local/bin/shithubd
NEW_DIR="$RELEASES/$RELEASE_VERSION"
NEW_BIN="$NEW_DIR/shithubd"
BACKUP=""
SWITCHED=0
# The release directory's copy of the binary that ran before this release, and whether it ran
# through a symlink (the layout before the stable path).
PREVIOUS_BIN=""
PREVIOUS_LINKED=0

log() { printf 'shithub-release %s: %s\n' "$RELEASE_VERSION" "$*" >&2; }

# Which version this host runs and since when a release step switched it there ("<version> <UTC>").
RUNNING="$WORK/running"
# The next whole second: the new version was ready by then. A report to the second that rounded
# down would put the scrapes that found it restarting (a refused connection, stamped with the
# scrape's start) inside the canary's soak, which begins at the release time.
ready_since_utc() { date -u -d "@$(($(date +%s) + 1))" +%Y-%m-%dT%H:%M:%SZ; }
# Every version this host has switched to, once each, oldest first: production's promotion gate
# lets it return to one of them (a rollback) without staging running it.
RAN="$WORK/ran"
record_running() {
  printf '%s %s\n' "$RELEASE_VERSION" "$1" >"$RUNNING.new"
  mv -f "$RUNNING.new" "$RUNNING"
  if ! grep -qxF "$RELEASE_VERSION" "$RAN" 2>/dev/null; then
    { cat "$RAN" 2>/dev/null || true; echo "$RELEASE_VERSION"; } >"$RAN.new"
    mv -f "$RAN.new" "$RAN"
  fi
}

# The one line on stdout (components/release/releaseReport.ts): the program exports it, and
# production's promotion gate reads staging's. A no-op or env-only release reports the version's
# own time, so only a new version restarts a soak.
running_since() {
  local version="" at=""
  if [ -f "$RUNNING" ]; then read -r version at <"$RUNNING" || true; fi
  [ "$version" = "$RELEASE_VERSION" ] && [ -n "$at" ] && printf '%s' "$at"
}
# What the release owns on the host, by sha256 (shithub-drift compares the host against it): the
# staged files and the binary, as they are once the release is done.
MANIFEST=/var/lib/shithub-manifest/shithub-release
record_manifest() {
  local entry name path mode owner tmp
  install -d -m 0755 -o root -g root "$(dirname "$MANIFEST")"
  tmp=$(mktemp "$MANIFEST.XXXXXX")
  for entry in "${TARGETS[@]}"; do
    read -r name path mode owner <<<"$entry"
    if [ -f "$path" ]; then sha256sum "$path" >>"$tmp"; fi
  done
  if [ -f "$BIN" ]; then sha256sum "$BIN" >>"$tmp"; fi
  chmod 0644 "$tmp"
  mv -fT "$tmp" "$MANIFEST"
}

report() {
  local at
  record_manifest || log "could not record the release's files in $MANIFEST"
  # Never a failure here: the release itself is done.
  at=$(running_since) || { log "no record of when $RELEASE_VERSION was released here ($RUNNING); nothing reported"; return 0; }
  local ran
  # Release tags only (shithubd:version's check): no character of them needs JSON escaping.
  ran=$({ grep -E '^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$' "$RAN" 2>/dev/null || echo "$RELEASE_VERSION"; } | sed 's/.*/"&"/' | paste -sd, -)
  printf 'shithub-release-report {"version":"%s","releasedAt":"%s","ran":[%s]}\n' "$RELEASE_VERSION" "$at" "$ran"
}

# Targets of the staged files: name, path, mode, owner.
# systemd reads EnvironmentFile= as PID 1: the env files are root's, and the service cannot
# rewrite its own configuration. Git over SSH (the git user, group shithub) reads ssh.env only:
# web.env's settings without its secrets but the database URL.
TARGETS=(
  "web.env /etc/shithub/web.env 0600 root:root"
  "worker.env /etc/shithub/worker.env 0600 root:root"
  "ssh.env /etc/shithub/ssh.env 0640 root:shithub"
  "shithubd-web.service /etc/systemd/system/shithubd-web.service 0644 root:root"
  "shithubd-worker.service /etc/systemd/system/shithubd-worker.service 0644 root:root"
  "shithubd-cron.service /etc/systemd/system/shithubd-cron.service 0644 root:root"
  "shithubd-cron.timer /etc/systemd/system/shithubd-cron.timer 0644 root:root"
)

fail() {
  local reason=$1
  if [ "$SWITCHED" = 1 ]; then
    rollback
    # The previous release runs again: say whether it is healthy, as a release would.
    local state=""
    if [ -n "$PREVIOUS_BIN" ]; then
      if await_ready 1 1; then state="; it is healthy"; else state="; it is NOT healthy either: $NOT_READY"; fi
    fi
    log "FAILED: $reason; rolled back to ${PREVIOUS_VERSION:-no release}$state"
  else
    log "FAILED: $reason; nothing was changed"
  fi
  # The rollback copies, taken while the new binary was still being validated, or used just now.
  [ -z "$BACKUP" ] || rm -rf -- "$BACKUP"
  exit 1
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Installs $1 as $2 with mode and owner, atomically: a reader sees the old file or the new one.
install_atomic() {
  local src=$1 dst=$2 mode=$3 owner=$4 tmp
  tmp=$(mktemp "$(dirname "$dst")/.$(basename "$dst").XXXXXX")
  cat "$src" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$dst"
}

# Puts a copy of release binary $1 at the stable path atomically: a running process keeps the file
# it started from, every new start (a hook included) gets the new one.
install_binary() {
  local tmp
  tmp=$(mktemp "$(dirname "$BIN")/.shithubd.XXXXXX") || return 1
  cp "$1" "$tmp" && chmod 0755 "$tmp" && chown root:root "$tmp" && mv -fT "$tmp" "$BIN"
}

# The layout before the stable path, put back by a rollback to a release that ran that way.
link_binary() {
  ln -sfn "$1" "$BIN.new"
  mv -fT "$BIN.new" "$BIN"
}

# The release directory's binary the stable path holds a copy of (the running record names it;
# a copy is checked byte for byte), or the symlink's target; nothing when there is none.
installed_binary() {
  if [ -L "$BIN" ]; then readlink -f "$BIN"; return 0; fi
  [ -f "$BIN" ] || return 0
  local version="" dir
  if [ -f "$RUNNING" ]; then read -r version _ <"$RUNNING" || true; fi
  if [[ $version =~ $VERSION_PATTERN ]] && cmp -s "$BIN" "$RELEASES/$version/shithubd"; then
    printf '%s\n' "$RELEASES/$version/shithubd"
    return 0
  fi
  for dir in "$RELEASES"/v*/; do
    [[ ${dir%/} =~ /(v[^/]*)$ && ${BASH_REMATCH[1]} =~ $VERSION_PATTERN ]] || continue
    if cmp -s "$BIN" "${dir}shithubd"; then printf '%s\n' "${dir}shithubd"; return 0; fi
  done
}

# The publisher's signature beside the binary, when the stack names their key: the checksum in the
# stack says which binary, the signature that its publisher made it. Checked for an installed
# binary too: the key may be newer than the download. Sets SIGNATURE_PROBLEM when it fails.
SIGNATURE_PROBLEM=""
verify_signature() {
  local file=$1 sig
  [ -n "$ARTIFACT_SIGNING_KEY" ] || return 0
  # New hosts have it from their first boot; a host older than the check gets it now.
  if ! command -v minisign >/dev/null; then
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq minisign >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq minisign >/dev/null 2>&1; }; } ||
      { SIGNATURE_PROBLEM="minisign is not installed and apt-get could not install it"; return 1; }
  fi
  sig=$(mktemp "$WORK/signature.XXXXXX")
  if ! curl -fsSL --proto =https --proto-redir =https --globoff --retry 3 --max-time 60 -o "$sig" "$ARTIFACT_URL.minisig"; then
    rm -f "$sig"
    SIGNATURE_PROBLEM="download of the signature $ARTIFACT_URL.minisig failed"
    return 1
  fi
  if ! minisign -V -q -P "$ARTIFACT_SIGNING_KEY" -m "$file" -x "$sig" >/dev/null 2>&1; then
    rm -f "$sig"
    SIGNATURE_PROBLEM="the signature $ARTIFACT_URL.minisig does not verify $RELEASE_VERSION with shithubd:artifactSigningKey"
    return 1
  fi
  rm -f "$sig"
}

fetch_binary() {
  install -d -m 0755 -o root -g root /opt/shithub "$RELEASES"
  if [ -e "$NEW_BIN" ]; then
    local installed
    installed=$(sha256_of "$NEW_BIN")
    if [ "$installed" = "$ARTIFACT_SHA256" ]; then
      verify_signature "$NEW_BIN" || fail "$SIGNATURE_PROBLEM"
      return 0
    fi
    # A published release never changes: a binary that may be running is never replaced under its name.
    fail "$RELEASE_VERSION is installed with checksum $installed, not $ARTIFACT_SHA256; a release never changes: publish a new version"
  fi
  local tmp
  # Hashed where only root can write, then installed: nothing can change it between check and use.
  tmp=$(mktemp "$WORK/download.XXXXXX")
  if [ -n "$ARTIFACT_UPLOAD" ]; then
    [ -f "$ARTIFACT_UPLOAD" ] || { rm -f "$tmp"; fail "uploaded artifact $ARTIFACT_UPLOAD is missing"; }
    cp "$ARTIFACT_UPLOAD" "$tmp"
  # https only, redirects included; the URL is a URL, never a curl glob pattern.
  elif ! curl -fsSL --proto =https --proto-redir =https --globoff --retry 3 --max-time 300 -o "$tmp" "$ARTIFACT_URL"; then
    rm -f "$tmp"
    fail "download of $ARTIFACT_URL failed"
  fi
  local got
  got=$(sha256_of "$tmp")
  if [ "$got" != "$ARTIFACT_SHA256" ]; then
    rm -f "$tmp"
    fail "checksum mismatch for $RELEASE_VERSION: expected $ARTIFACT_SHA256, got $got"
  fi
  verify_signature "$tmp" || { rm -f "$tmp"; fail "$SIGNATURE_PROBLEM"; }
  install -d -m 0755 -o root -g root "$NEW_DIR"
  install -m 0755 -o root -g root "$tmp" "$NEW_BIN.new"
  mv -f "$NEW_BIN.new" "$NEW_BIN"
  rm -f "$tmp"
}

# Runs shithubd as shithub with env file $2, in a transient unit with the sandbox every run
# shares plus the properties given before `--`; $1 labels its output. shithubd redacts secrets;
# the last lines of its output go to stderr, each prefixed with the label.
run_shithubd() {
  local label=$1 file=$2 out
  shift 2
  out=$(systemd-run --quiet --wait --pipe --collect --service-type=exec \
    -p User=shithub -p Group=shithub -p "EnvironmentFile=$file" \
    -p NoNewPrivileges=yes -p ProtectSystem=strict -p ProtectHome=yes -p PrivateTmp=yes \
    -p PrivateDevices=yes -p CapabilityBoundingSet= "$@" </dev/null 2>&1) && return 0
  printf '%s\n' "$out" | tail -n 5 | sed "s|^|$label: |" >&2
  return 1
}

# `shithubd config validate` with env file $1 as systemd will read it, with no network and no
# writable path: a new binary's first run sees no more than the unit would let it.
validate_env() {
  run_shithubd "shithubd config validate ($(basename "$1"))" "$1" -p UMask=0077 \
    -p PrivateNetwork=yes -p IPAddressDeny=any -p RestrictAddressFamilies=AF_UNIX \
    -p ProtectKernelTunables=yes -p ProtectControlGroups=yes -p ProtectProc=invisible \
    -p SystemCallFilter=@system-service -p RuntimeMaxSec=60 -- "$NEW_BIN" config validate
}

# `shithubd ARGS` (binary $2) as the web unit runs it: the network, and writable /data only.
as_shithubd() {
  local file=$1 binary=$2
  shift 2
  run_shithubd "shithubd $*" "$file" -p UMask=0027 -p ReadWritePaths=/data \
    -p IPAddressDeny=169.254.169.254/32 -p RuntimeMaxSec=1800 -- "$binary" "$@"
}

# Both env files at once, and `storage check` (the repositories' root is writable, the object
# store answers a write and a read) with the new binary and web.env, in the background: each is a
# start of the new binary, and all of it happens before anything is switched.
VALIDATING=()
start_validation() {
  # The storage check, the longest (a round trip to the object store), starts first.
  as_shithubd "$STAGE/web.env" "$NEW_BIN" storage check &
  VALIDATING=("$!")
  validate_env "$STAGE/web.env" &
  VALIDATING+=("$!")
  validate_env "$STAGE/worker.env" &
  VALIDATING+=("$!")
}
finish_validation() {
  local web=0 worker=0 storage=0
  wait "${VALIDATING[1]}" || web=1
  wait "${VALIDATING[2]}" || worker=1
  wait "${VALIDATING[0]}" || storage=1
  [ "$web" = 0 ] || fail "shithubd $RELEASE_VERSION config validate rejected the new web.env"
  [ "$worker" = 0 ] || fail "shithubd $RELEASE_VERSION config validate rejected the new worker.env"
  [ "$storage" = 0 ] || fail "shithubd $RELEASE_VERSION storage check failed with the new web.env (the repositories' root or the object store)"
}

# Whether staged file $1 differs from $2 in content, mode or owner.
changed() {
  local name=$1 path=$2 mode=$3 owner=$4
  [ -f "$path" ] && cmp -s "$STAGE/$name" "$path" && [ "$(stat -c '%a %U:%G' -- "$path")" = "${mode#0} $owner" ] && return 1
  return 0
}

# Called as `backup_current || fail`, where errexit is off: every step says when it failed.
backup_current() {
  BACKUP=$(mktemp -d "$WORK/rollback.XXXXXX") || return 1
  local entry path existing=()
  for entry in "${TARGETS[@]}"; do
    read -r _ path _ _ <<<"$entry"
    if [ -f "$path" ]; then existing+=("$path"); fi
  done
  # One cp for all (a target's name is its path's base name): it runs beside the validation.
  [ "${#existing[@]}" = 0 ] || cp -p -- "${existing[@]}" "$BACKUP/"
}

rollback() {
  local entry name path mode owner
  for entry in "${TARGETS[@]}"; do
    read -r name path mode owner <<<"$entry"
    if [ -f "$BACKUP/$name" ]; then
      install_atomic "$BACKUP/$name" "$path" "$mode" "$owner"
    else
      rm -f "$path"
    fi
  done
  if [ -z "$PREVIOUS_BIN" ]; then
    rm -f "$BIN"
  elif [ "$PREVIOUS_LINKED" = 1 ]; then
    link_binary "$PREVIOUS_BIN"
  else
    install_binary "$PREVIOUS_BIN"
  fi
  systemctl daemon-reload
  if [ -n "$PREVIOUS_BIN" ]; then
    systemctl reset-failed shithubd-web.service shithubd-worker.service 2>/dev/null || true
    systemctl restart shithubd-web.service shithubd-worker.service || log "restart after rollback failed"
  else
    systemctl disable --now shithubd-web.service shithubd-worker.service shithubd-cron.timer >/dev/null 2>&1 || true
  fi
}

# Every health URL answers 2xx (/readyz: shithubd reaches its database).
answers() {
  local url
  for url in $HEALTH_URLS; do curl -fs --globoff -o /dev/null --max-time 2 "$url" || return 1; done
}

# The worker's start line (shithubd internal/worker/pool.go Run): logged once its config loaded,
# its database answered and every job handler is registered. slog writes it as text or JSON, by
# the log format the worker uses; either one counts.
WORKER_READY_LINE='worker: starting'
WORKER_READY_PATTERN='(^|[[:space:]])msg="worker: starting"([[:space:]]|$)|"msg":"worker: starting"'

# Both units' state and the worker's invocation in one systemctl call: a poll costs its forks.
# Each unit's properties follow its Id (the first of a unit's properties). Unread, all stay empty:
# not active, which fails a worker being waited for.
read_states() {
  local line unit=""
  WEB_STATE="" WORKER_STATE="" WORKER_INVOCATION=""
  while IFS= read -r line; do
    case $unit/$line in
      */Id=*) unit=${line#Id=} ;;
      shithubd-web.service/ActiveState=*) WEB_STATE=${line#*=} ;;
      shithubd-worker.service/ActiveState=*) WORKER_STATE=${line#*=} ;;
      shithubd-worker.service/InvocationID=*) WORKER_INVOCATION=${line#*=} ;;
    esac
  done < <(systemctl show -p Id -p ActiveState -p InvocationID shithubd-web.service shithubd-worker.service)
}

# Waits until the units just (re)started are ready, polling every 20 ms instead of sleeping a
# fixed time: web when it is active and answers on every health URL, the worker when this very
# invocation has logged its start line. A worker that exits meanwhile (a crash loop: systemd
# restarts it under a new invocation) fails at once. Sets NOT_READY to the reason on failure.
await_ready() {
  local want_web=$1 want_worker=$2 deadline=$((SECONDS + HEALTH_TIMEOUT)) invocation
  NOT_READY=""
  read_states
  invocation=$WORKER_INVOCATION
  while :; do
    if [ "$want_worker" = 1 ] && { [ "$WORKER_STATE" != active ] || [ "$WORKER_INVOCATION" != "$invocation" ]; }; then
      NOT_READY="shithubd-worker exited after it started"
      return 1
    fi
    if [ "$want_web" = 1 ] && [ "$WEB_STATE" = active ] && answers; then want_web=0; fi
    # grep reads the journal through a file descriptor: stopping at the line is not a failed pipeline.
    if [ "$want_worker" = 1 ] && grep -qE "$WORKER_READY_PATTERN" < <(journalctl -q --no-pager -o cat "_SYSTEMD_INVOCATION_ID=$invocation"); then
      want_worker=0
    fi
    [ "$want_web$want_worker" = 00 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      if [ "$want_web" = 1 ]; then NOT_READY="shithubd-web is not healthy at $HEALTH_URLS"; else NOT_READY="shithubd-worker did not log \"$WORKER_READY_LINE\" within ${HEALTH_TIMEOUT}s"; fi
      return 1
    fi
    sleep 0.02
    read_states
  done
}

# Keeps the newest KEEP_RELEASES release directories, the running and the previous one always.
# Only names of the version pattern are ever considered, by absolute path: no name read from the
# disk reaches rm unchecked.
prune_releases() {
  local running=$NEW_BIN previous="" dir name stamp n=0 candidates=()
  [ -n "$PREVIOUS_BIN" ] && previous=$PREVIOUS_BIN
  for dir in "$RELEASES"/v*/; do
    dir=${dir%/}
    name=${dir##*/}
    [[ $name =~ $VERSION_PATTERN ]] || continue
    stamp=$(stat -c %Y -- "$dir") || continue
    candidates+=("$stamp $name")
  done
  while read -r _ name; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    dir="$RELEASES/$name"
    if [ "$n" -gt "$KEEP_RELEASES" ] && [ "$dir/shithubd" != "$running" ] && [ "$dir/shithubd" != "$previous" ]; then
      rm -rf -- "$dir"
    fi
  done < <(printf '%s\n' "${candidates[@]}" | sort -rn)
}

# Standby's end state: installed, stopped, disabled; the window's `npm run takeover` starts them,
# or, in a recovery, the up that removes shithubd:recovery once `npm run recover` is done.
stand_by() {
  record_manifest || log "could not record the release's files in $MANIFEST"
  systemctl disable --now shithubd-web.service shithubd-worker.service shithubd-cron.timer >/dev/null 2>&1 || true
  if systemctl is-active --quiet shithubd-web.service shithubd-worker.service; then fail "shithubd still runs on a standby host"; fi
  log "standby (a takeover or a recovery is in progress): $RELEASE_VERSION installed, shithubd not running"
}

main() {
  # Never act relative to the SSH session's working directory.
  cd /
  install -d -m 0700 -o root -g root "$WORK"
  [[ $RELEASE_VERSION =~ $VERSION_PATTERN ]] || fail "version $RELEASE_VERSION is not a release name"
  # The lock lives where only root can create or replace it.
  exec 9>"$WORK/lock"
  flock -w 600 9 || fail "another release is still running on this host"
  # A new droplet: wait for cloud-init's first boot (its marker file, not `cloud-init status`, a Python start per release).
  if command -v cloud-init >/dev/null; then
    for _ in $(seq 1 6000); do [ -e /var/lib/cloud/instance/boot-finished ] && break; sleep 0.1; done
  fi

  fetch_binary

  [ -L "$BIN" ] && PREVIOUS_LINKED=1
  PREVIOUS_BIN=$(installed_binary)
  [ -x "$PREVIOUS_BIN" ] || PREVIOUS_BIN=""
  PREVIOUS_VERSION=$(basename "$(dirname "$PREVIOUS_BIN")" 2>/dev/null || true)
  [ -n "$PREVIOUS_BIN" ] || PREVIOUS_VERSION=""
  # A host released before the record existed: its running release's directory dates its last release.
  if [ "$PREVIOUS_BIN" = "$NEW_BIN" ] && ! running_since >/dev/null; then
    record_running "$(date -u -r "$NEW_DIR" +%Y-%m-%dT%H:%M:%SZ)"
  fi

  local binary_changed=0 files=0 web=0 worker=0 timer=0 units=0 entry name path mode owner
  # Moving off the symlink restarts too: the running processes write hooks with their own path.
  [ "$PREVIOUS_BIN" = "$NEW_BIN" ] && [ "$PREVIOUS_LINKED" = 0 ] || binary_changed=1
  # A new binary is always validated: start now, while the files are compared and backed up.
  if [ "$binary_changed" = 1 ]; then start_validation; fi
  for entry in "${TARGETS[@]}"; do
    read -r name path mode owner <<<"$entry"
    changed "$name" "$path" "$mode" "$owner" || continue
    files=1
    # Owner or mode alone: fixed in place, nothing to restart.
    [ -f "$path" ] && cmp -s "$STAGE/$name" "$path" && continue
    case $name in
      web.env | shithubd-web.service) web=1 ;;
      worker.env | shithubd-worker.service) worker=1 ;;
      shithubd-cron.timer) timer=1 ;;
    esac
    case $name in *.service | *.timer) units=1 ;; esac
  done
  if [ "$binary_changed" = 1 ]; then web=1 worker=1; fi

  # A takeover's standby: the database is the live forge's copy, so nothing of shithubd may run on
  # it (a worker would run the live forge's jobs twice). Everything is installed; nothing starts.
  if [ "$STANDBY" = 1 ] && [ "$files$web$worker" = 000 ]; then
    stand_by
    exit 0
  fi
  if [ "$files$web$worker" = 000 ]; then
    local start=()
    systemctl is-active --quiet shithubd-web.service || start+=(shithubd-web.service)
    systemctl is-active --quiet shithubd-worker.service || start+=(shithubd-worker.service)
    if [ "${#start[@]}" = 0 ]; then
      log "unchanged; nothing restarted"
      report
      exit 0
    fi
    # After a takeover's standby the units are installed but disabled: enabled, with the cron timer.
    systemctl enable --no-reload shithubd-web.service shithubd-worker.service shithubd-cron.timer >/dev/null 2>&1 || fail "systemctl enable failed"
    systemctl is-active --quiet shithubd-cron.timer || start+=(shithubd-cron.timer)
    systemctl start "${start[@]}" || true
    local want_web=0 want_worker=0
    [[ " ${start[*]} " == *" shithubd-web.service "* ]] && want_web=1
    [[ " ${start[*]} " == *" shithubd-worker.service "* ]] && want_worker=1
    await_ready "$want_web" "$want_worker" || fail "$NOT_READY"
    log "unchanged; started ${start[*]}"
    report
    exit 0
  fi

  if [ "${#VALIDATING[@]}" = 0 ]; then start_validation; fi
  backup_current || { wait "${VALIDATING[@]}" || true; fail "could not copy the current files for a rollback"; }
  finish_validation
  SWITCHED=1
  for entry in "${TARGETS[@]}"; do
    read -r name path mode owner <<<"$entry"
    if changed "$name" "$path" "$mode" "$owner"; then install_atomic "$STAGE/$name" "$path" "$mode" "$owner"; fi
  done
  install_binary "$NEW_BIN" || fail "could not install $NEW_BIN at $BIN"
  # systemd rereads unit files only when one changed; enabling links without a second reload.
  if [ "$units" = 1 ]; then systemctl daemon-reload; fi
  if [ "$STANDBY" = 1 ]; then
    rm -rf -- "$BACKUP"
    touch "$NEW_DIR"
    prune_releases
    [ -z "$ARTIFACT_UPLOAD" ] || rm -f -- "$ARTIFACT_UPLOAD"
    stand_by
    exit 0
  fi
  systemctl enable --no-reload shithubd-web.service shithubd-worker.service shithubd-cron.timer >/dev/null 2>&1 ||
    fail "systemctl enable failed"

  # One transaction: the worker stops before web and starts after web's migration (its After=),
  # so no worker of either release runs while the schema changes.
  local restart=()
  [ "$web" = 1 ] && restart+=(shithubd-web.service)
  [ "$worker" = 1 ] && restart+=(shithubd-worker.service)
  if [ "${#restart[@]}" -gt 0 ]; then
    # A deliberate restart is not a crash loop: clear systemd's start-rate counter, which quick
    # releases and rollbacks would otherwise exhaust (5 starts in 10 s by default).
    systemctl reset-failed "${restart[@]}" 2>/dev/null || true
    if ! systemctl restart "${restart[@]}"; then
      if [ "$web" = 1 ] && ! systemctl is-active --quiet shithubd-web.service; then fail "shithubd-web did not start (migration or startup failed)"; fi
      fail "shithubd-worker did not start"
    fi
    await_ready "$web" "$worker" || fail "$NOT_READY"
  fi
  if [ "$timer" = 1 ]; then systemctl restart shithubd-cron.timer || fail "shithubd-cron.timer did not start"; fi
  # Repositories created under the symlink hold hooks naming a release directory: pointed at the
  # stable path once, by shithubd itself (its shims' format is its own), before the release is good.
  if [ "$PREVIOUS_LINKED" = 1 ]; then
    as_shithubd /etc/shithub/web.env "$BIN" hooks reinstall --all || fail "shithubd hooks reinstall --all failed; the repositories' hooks may still name a release directory"
    log "hooks of every repository now run $BIN"
  fi
  if [ "$binary_changed" = 1 ]; then record_running "$(ready_since_utc)"; fi

  rm -rf -- "$BACKUP"
  touch "$NEW_DIR" # pruning keeps the most recently released
  prune_releases
  # The old, service-writable release tree: nothing points into it any more.
  if [ -d "$OLD_RELEASES" ] && [ ! -L "$BIN" ]; then rm -rf -- "$OLD_RELEASES"; fi
  [ -z "$ARTIFACT_UPLOAD" ] || rm -f -- "$ARTIFACT_UPLOAD"
  local restarted=()
  [ "$web" = 1 ] && restarted+=(web)
  [ "$worker" = 1 ] && restarted+=(worker)
  [ "$timer" = 1 ] && restarted+=(cron.timer)
  log "released (previous: ${PREVIOUS_VERSION:-none}); restarted: ${restarted[*]:-nothing}"
  report
}

main

# shithub-infra setup library, put in front of every role's setup script (templates/scripts/
# shithub-*-setup.sh). The bundle header has staged the files into $STAGE and set SETUP_NAME,
# PACKAGES and INSTALLS (the role's declared files: "name path mode owner" per line).

changed=()

log() { printf '%s: %s\n' "$SETUP_NAME" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# install_staged NAME PATH MODE OWNER: puts $STAGE/NAME at PATH atomically (a reader sees the old
# file or the new one) unless it is already there with that mode and owner; notes NAME in `changed`
# and keeps what it replaced for restore_previous.
install_staged() {
  local name=$1 path=$2 mode=$3 owner=$4 tmp
  if [ -f "$path" ] && cmp -s "$STAGE/$name" "$path" && [ "$(stat -c '%a %U:%G' "$path")" = "${mode#0} $owner" ]; then
    return 0
  fi
  mkdir -p "$STAGE/.previous"
  if [ -f "$path" ]; then cp -p "$path" "$STAGE/.previous/$name"; fi
  [ -d "$(dirname "$path")" ] || install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$(dirname "$path")/.$(basename "$path").XXXXXX")
  cat "$STAGE/$name" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
  changed+=("$name")
}

# install_declared: every file the role declares, in its order.
install_declared() {
  local name path mode owner
  while read -r name path mode owner; do
    [ -n "$name" ] && install_staged "$name" "$path" "$mode" "$owner"
  done <<<"$INSTALLS"
}

# restore_previous NAME PATH: puts back what install_staged replaced at PATH (or removes a new file).
restore_previous() {
  if [ -f "$STAGE/.previous/$1" ]; then cp -p "$STAGE/.previous/$1" "$2"; else rm -f "$2"; fi
}

# check_staged MESSAGE COMMAND...: a tool's check of a staged file; if it refuses, its last lines
# and MESSAGE, and the step fails before anything is installed.
check_staged() {
  local message=$1 out
  shift
  out=$(mktemp "$STAGE/.check.XXXXXX")
  "$@" >"$out" 2>&1 || { tail -n 5 "$out" >&2; fail "$message"; }
}

was_changed() {
  local name
  for name in "${changed[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

# ensure_packages PKG...: the role's packages. New hosts have them from cloud-init; a host that
# gains a role (or an image that lacks one) gets them here.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } ||
    fail "could not install ${missing[*]}"
}

# cloud-init's first boot installs the packages; a setup step on a new host waits for it.
if command -v cloud-init >/dev/null; then cloud-init status --wait >/dev/null 2>&1 || true; fi

# shithub-infra setup library, put in front of every role's setup script (templates/scripts/
# shithub-*-setup.sh). The bundle header has staged the files into $STAGE and set SETUP_NAME,
# PACKAGES and INSTALLS (the role's declared files: "name path mode owner" per line).

changed=()

# What this step owns on the host, recorded once it succeeded: sha256sum's lines for every file
# install_staged put in place (or found in place), in /var/lib/shithub-manifest/shithub-<step>;
# shithub-drift compares the host against them.
MANIFEST_DIR=${MANIFEST_DIR:-/var/lib/shithub-manifest}
owned=()
record_manifest() {
  local path tmp
  install -d -m 0755 -o root -g root "$MANIFEST_DIR"
  tmp=$(mktemp "$MANIFEST_DIR/.$SETUP_NAME.XXXXXX")
  for path in "${owned[@]}"; do
    if [ -f "$path" ]; then sha256sum "$path" >>"$tmp"; fi
  done
  chmod 0644 "$tmp"
  mv -fT "$tmp" "$MANIFEST_DIR/$SETUP_NAME"
}
# Replaces the bundle's own EXIT trap, which only removed the staged files: a failed step records nothing.
on_exit() {
  if [ "$1" = 0 ] && [ "${#owned[@]}" -gt 0 ]; then record_manifest || log "could not record what it installed in $MANIFEST_DIR"; fi
  rm -rf -- "$STAGE"
}
trap 'on_exit $?' EXIT

log() { printf '%s: %s\n' "$SETUP_NAME" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# root_writes_in DIR: fails unless DIR and every directory above it are root's and writable by no
# one else. Root acts by name only there: in a directory another user can write, that user can
# swap a name for a symbolic link between root's steps, and root's chmod or chown then lands on
# the link's target.
root_writes_in() {
  local dir=$1 owner
  while :; do
    if [ ! -d "$dir" ] || [ -L "$dir" ]; then fail "$dir is not a directory"; fi
    owner=$(stat -c %U "$dir")
    [ "$owner" = root ] || fail "root does not write by name in $dir: it is owned by $owner"
    case $(stat -c %A "$dir") in
      d????-??-?) ;;
      *) fail "root does not write by name in $dir: others can write to it ($(stat -c %A "$dir"))" ;;
    esac
    [ "$dir" = / ] && return 0
    dir=$(dirname "$dir")
  done
}

# claim_dirs GROUP DIR...: takes each DIR (top down, each under the one before) back from the
# user a package gave it to: root:GROUP, 0755. That user keeps reading; it no longer adds,
# renames or removes names in it. A DIR that is or holds a symbolic link fails the step.
claim_dirs() {
  local group=$1 dir
  shift
  for dir in "$@"; do
    if [ ! -d "$dir" ] || [ -L "$dir" ]; then fail "$dir is not a directory"; fi
    root_writes_in "$(dirname "$dir")"
    chown -h "root:$group" "$dir"
    chmod 0755 "$dir"
    if [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 -type l -print -quit)" ]; then
      fail "$dir holds a symbolic link ($(find "$dir" -mindepth 1 -maxdepth 1 -type l -printf '%f ' )); remove it by hand after checking where it came from"
    fi
  done
}

# install_staged NAME PATH MODE OWNER: puts $STAGE/NAME at PATH atomically (a reader sees the old
# file or the new one) unless it is already there with that mode and owner; notes NAME in `changed`
# and keeps what it replaced for restore_previous. PATH's directory must be root's alone.
install_staged() {
  local name=$1 path=$2 mode=$3 owner=$4 tmp dir top
  dir=$(dirname "$path")
  owned+=("$path")
  if [ ! -d "$dir" ]; then
    # Made by name too: only under a directory root alone writes.
    top=$dir
    while [ ! -e "$top" ]; do top=$(dirname "$top"); done
    root_writes_in "$top"
    install -d -m 0755 "$dir"
  fi
  root_writes_in "$dir"
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s "$STAGE/$name" "$path" && [ "$(stat -c '%a %U:%G' "$path")" = "${mode#0} $owner" ]; then
    return 0
  fi
  mkdir -p "$STAGE/.previous"
  if [ -f "$path" ]; then cp -p "$path" "$STAGE/.previous/$name"; fi
  tmp=$(mktemp "$(dirname "$path")/.$(basename "$path").XXXXXX")
  cat "$STAGE/$name" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -fT "$tmp" "$path"
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

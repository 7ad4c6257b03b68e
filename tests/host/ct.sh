#!/usr/bin/env bash
# The real-host tier's machine: a Debian bookworm tree booted with `systemd-nspawn -b` in its
# own network namespace (host 10.213.0.1 <-> container 10.213.0.2), reached over real SSH.
#
#   ct.sh tools              install what the host needs (systemd-container, mmdebstrap, ssh, ...)
#   ct.sh build              build the tree once (cached in $SHITHUB_HOST_CACHE) with the
#                            packages a droplet of this project gets, and bootstrap it
#   ct.sh up DIR PUBKEY      copy the tree to DIR/rootfs, authorize PUBKEY for root, boot it
#   ct.sh down DIR           power it off and remove its network namespace
#
# Needs root, systemd-container and mmdebstrap (installed here when missing) and Debian's archive.
set -euo pipefail

NAME=shithubct
PACKAGES=systemd,systemd-sysv,dbus,openssh-server,postgresql,postgresql-contrib,iproute2,ca-certificates,curl,procps,python3,rclone,caddy,git
# One cached tree per package list, so adding a package rebuilds it.
CACHE=${SHITHUB_HOST_CACHE:-/var/tmp/shithub-host}/$(echo "$PACKAGES" | cksum | cut -d' ' -f1)

HOST_PACKAGES="systemd-container mmdebstrap iproute2 procps util-linux openssh-client curl git openssl postgresql-client"

need_tools() {
  local tool
  for tool in systemd-nspawn mmdebstrap ip pgrep nsenter ssh ssh-keygen curl git openssl psql; do
    command -v "$tool" >/dev/null && continue
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # a list of package names
    apt-get install -y -qq --no-install-recommends $HOST_PACKAGES >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $HOST_PACKAGES >/dev/null; }
    return 0
  done
}

# What the cloud-init bootstrap does on a droplet (templates/cloud-init): the shithub user and
# the directories the units need. /data is a host directory bound in at boot (the volume).
bootstrap() {
  local r=$1
  chroot "$r" groupadd --system shithub
  chroot "$r" useradd --system --gid shithub --home-dir /var/lib/shithub --no-create-home --shell /usr/sbin/nologin shithub
  chroot "$r" install -d -m 0750 -o root -g shithub /etc/shithub
  chroot "$r" install -d -m 0750 -o shithub -g shithub /var/lib/shithub /var/lib/shithub/releases
  echo "$NAME" >"$r/etc/hostname"
}

build() {
  need_tools
  [ -d "$CACHE/rootfs" ] && return 0
  mkdir -p "$CACHE"
  rm -rf "$CACHE/rootfs.new"
  mmdebstrap --variant=apt --include="$PACKAGES" bookworm "$CACHE/rootfs.new" http://deb.debian.org/debian >"$CACHE/mmdebstrap.log" 2>&1 ||
    { tail -20 "$CACHE/mmdebstrap.log"; exit 1; }
  bootstrap "$CACHE/rootfs.new"
  mv "$CACHE/rootfs.new" "$CACHE/rootfs"
}

up() {
  local dir=$1 key=$2 r="$1/rootfs"
  build
  down "$dir" >/dev/null 2>&1 || true
  rm -rf "$r"
  cp -a "$CACHE/rootfs" "$r"
  install -d -m 700 "$r/root/.ssh"
  install -m 600 "$key" "$r/root/.ssh/authorized_keys"

  ip netns add "$NAME"
  ip link add "$NAME-h" type veth peer name "$NAME-c"
  ip link set "$NAME-c" netns "$NAME"
  ip addr add 10.213.0.1/30 dev "$NAME-h"
  ip link set "$NAME-h" up
  ip netns exec "$NAME" ip link set lo up
  ip netns exec "$NAME" ip addr add 10.213.0.2/30 dev "$NAME-c"
  ip netns exec "$NAME" ip link set "$NAME-c" up

  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  setsid systemd-nspawn -b -D "$r" -M "$NAME" --register=no --keep-unit --bind="$dir/data:/data" \
    --network-namespace-path="/run/netns/$NAME" --console=passive >"$dir/nspawn.log" 2>&1 &
  local nspawn=$! leader state
  echo "$nspawn" >"$dir/nspawn.pid"
  for _ in $(seq 1 300); do
    leader=$(pgrep -P "$nspawn" -x systemd || true)
    if [ -n "$leader" ]; then
      state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
      case $state in
        running | degraded)
          echo "$leader" >"$dir/leader"
          # cloud-init's runcmd on an app host: the state dirs on the mounted volume.
          nsenter -t "$leader" -a install -d -m 0750 -o shithub -g shithub /data/repos /data/tmp
          echo "container $NAME: $state"
          return 0
          ;;
      esac
    fi
    sleep 0.2
  done
  echo "container did not boot"
  cat "$dir/nspawn.log"
  exit 1
}

down() {
  local dir=$1 pid
  if [ -f "$dir/leader" ]; then nsenter -t "$(cat "$dir/leader")" -a systemctl poweroff >/dev/null 2>&1 || true; fi
  pid=$(cat "$dir/nspawn.pid" 2>/dev/null || true)
  for _ in $(seq 1 100); do
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" || true; fi
  ip netns del "$NAME" 2>/dev/null || true
  ip link del "$NAME-h" 2>/dev/null || true
  rm -f "$dir/leader" "$dir/nspawn.pid"
}

case ${1:-} in
  tools) need_tools ;;
  build) build ;;
  up) up "$2" "$3" ;;
  down) down "$2" ;;
  *)
    echo "usage: ct.sh tools | build | up DIR PUBKEY | down DIR" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The host tier's stand-in for DigitalOcean: droplets are systemd-nspawn containers booted from
# a Debian bookworm image whose first boot runs cloud-init with a NoCloud seed holding the user
# data the program rendered, on two networks the test makes (a public one the test host is on,
# and the VPC, which the test host is not on).
#
#   cloud.sh tools                    install what this host needs (systemd-container, mmdebstrap, ...)
#   cloud.sh image                    build the image and the local package archive once (cached in
#                                     $SHITHUB_HOST_CACHE), for the packages in $ROLE_PACKAGES
#   cloud.sh net-up | net-down        the public bridge (this host at 10.213.0.1/24) and the VPC bridge
#   cloud.sh boot DIR NAME PUBLIC PRIVATE/PREFIX USER_DATA PUBKEY VOLUME WORLD
#                                     a droplet: copy the image to DIR/rootfs, seed it, boot it, wait
#                                     until cloud-init has finished; VOLUME is 1 when it has one
#   cloud.sh halt DIR NAME            power it off and remove its network namespace
#   cloud.sh firewall FILE            enforce DigitalOcean's cloud firewalls (an nft ruleset)
#
# WORLD is a directory with what the test's world provides every droplet: ca.crt (trusted, as a
# public CA would be) and hosts (extra /etc/hosts lines, as public DNS would answer).
# Needs root and Debian's archive (for the image, once).
set -euo pipefail

# What DigitalOcean's debian-12-x64 image ships that the droplets rely on, plus what the test
# double needs (python3 runs the fake shithubd, which reaches Postgres through psql).
IMAGE_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,cloud-init,sudo,rsyslog,locales,tzdata,iproute2,ca-certificates,curl,procps,less,python3,postgresql-client
ROLE_PACKAGES=${ROLE_PACKAGES:-}
CACHE=${SHITHUB_HOST_CACHE:-/var/tmp/shithub-host}/image-$(echo "$IMAGE_PACKAGES $ROLE_PACKAGES" | cksum | cut -d' ' -f1)
PUBLIC_BRIDGE=shithub-pub
VPC_BRIDGE=shithub-vpc
HOST_IP=10.213.0.1
METADATA_IP=169.254.169.254

HOST_PACKAGES="systemd-container mmdebstrap dpkg-dev iproute2 procps util-linux openssh-client curl git openssl postgresql-client nftables python3-aiosmtpd pebble minisign"

need_tools() {
  local tool
  for tool in systemd-nspawn mmdebstrap dpkg-scanpackages ip pgrep nsenter ssh ssh-keygen curl git openssl psql nft pebble pebble-challtestsrv minisign; do
    command -v "$tool" >/dev/null && [ -d /usr/lib/python3/dist-packages/aiosmtpd ] && continue
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # a list of package names
    apt-get install -y -qq --no-install-recommends $HOST_PACKAGES >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $HOST_PACKAGES >/dev/null; }
    return 0
  done
}

# The image, and beside it a flat archive of the role packages (with their dependencies) that
# cloud-init installs at first boot from file:/srv/shithub-debs, as a droplet does from the mirror.
image() {
  need_tools
  [ -d "$CACHE/rootfs" ] && [ -f "$CACHE/debs/Packages" ] && return 0
  mkdir -p "$CACHE"
  rm -rf "$CACHE/rootfs.new" "$CACHE/debs"
  mkdir -p "$CACHE/debs"
  # A droplet's kernel provides wireguard's module; a container runs on this host's kernel, so
  # the image says so to dpkg with a stand-in package (else apt installs a kernel for wireguard).
  local kernel="$CACHE/kernel"
  rm -rf "$kernel"
  mkdir -p "$kernel/DEBIAN"
  printf '%s\n' 'Package: shithub-test-kernel' 'Version: 1.0' 'Architecture: all' 'Maintainer: shithub-infra tests <tests@shithub.invalid>' \
    'Provides: wireguard-modules (= 1.0.20210606)' 'Description: the kernel of a test droplet (the host'"'"'s)' >"$kernel/DEBIAN/control"
  dpkg-deb --build "$kernel" "$CACHE/shithub-test-kernel.deb" >/dev/null
  # shellcheck disable=SC2016 # $1 is mmdebstrap's, expanded by its hook shell
  mmdebstrap --variant=apt --include="$IMAGE_PACKAGES" \
    --customize-hook='cp '"$CACHE/shithub-test-kernel.deb"' "$1/tmp/" && chroot "$1" dpkg -i /tmp/shithub-test-kernel.deb >/dev/null && rm "$1/tmp/shithub-test-kernel.deb"' \
    --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only '"${ROLE_PACKAGES//,/ }" \
    --customize-hook='cp "$1"/var/cache/apt/archives/*.deb '"$CACHE/debs/" \
    bookworm "$CACHE/rootfs.new" http://deb.debian.org/debian >"$CACHE/mmdebstrap.log" 2>&1 ||
    { tail -20 "$CACHE/mmdebstrap.log"; exit 1; }
  (cd "$CACHE/debs" && dpkg-scanpackages --multiversion . >Packages 2>/dev/null)
  local r="$CACHE/rootfs.new"
  echo 'deb [trusted=yes] file:/srv/shithub-debs ./' >"$r/etc/apt/sources.list"
  rm -f "$r"/etc/apt/sources.list.d/*
  mkdir -p "$r/srv/shithub-debs"
  # DigitalOcean's image: a generated en_US.UTF-8 locale, root logins with the droplet's keys.
  sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$r/etc/locale.gen"
  chroot "$r" locale-gen >/dev/null
  cat >"$r/etc/cloud/cloud.cfg.d/90-shithub-test-cloud.cfg" <<'EOF'
# The test cloud: NoCloud seed only, root keys from the seed's meta-data and the host name in
# /etc/hosts (as DigitalOcean's image has them), and no network config: the test sets each
# droplet's addresses from outside.
datasource_list: [NoCloud, None]
disable_root: false
manage_etc_hosts: localhost
network: {config: disabled}
EOF
  mv "$r" "$CACHE/rootfs"
}

net_up() {
  net_down
  ip link add "$PUBLIC_BRIDGE" type bridge
  ip addr add "$HOST_IP/24" dev "$PUBLIC_BRIDGE"
  # DigitalOcean's metadata service answers on its link-local address (machine.ts serves it).
  ip addr add "$METADATA_IP/32" dev "$PUBLIC_BRIDGE"
  ip link set "$PUBLIC_BRIDGE" up
  ip link add "$VPC_BRIDGE" type bridge
  ip link set "$VPC_BRIDGE" up
}

# A droplet's own cgroup in each hierarchy systemd manages (its named one and the unified one on
# this host's hybrid layout; the root on a unified-only host), made now: their directories.
droplet_cgroup() {
  local name=$1 h
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    [ -f "$h/cgroup.procs" ] || continue
    mkdir -p "$h/shithub-droplets/$name"
    echo "$h/shithub-droplets/$name"
  done
  if [ ! -d /sys/fs/cgroup/systemd ] && [ -f /sys/fs/cgroup/cgroup.procs ]; then
    mkdir -p "/sys/fs/cgroup/shithub-droplets/$name"
    echo "/sys/fs/cgroup/shithub-droplets/$name"
  fi
}

# The program creates every droplet with `monitoring: true`, for which DigitalOcean installs its
# agent: a do-agent user and service. The stand-in does what matters here, as that user: it reads
# the droplet's id from the metadata service every few seconds and says whether it could.
do_agent() {
  local r=$1
  chroot "$r" useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin do-agent
  cat >"$r/etc/systemd/system/do-agent.service" <<'EOF'
[Unit]
Description=DigitalOcean monitoring agent (test-cloud stand-in: reads the metadata service as its user)
After=network-online.target
Wants=network-online.target

[Service]
User=do-agent
ExecStart=/bin/sh -c 'while :; do if curl -fsS --max-time 3 -o /dev/null http://169.254.169.254/metadata/v1/id; then echo "metadata: reached"; else echo "metadata: unreachable"; fi; sleep 5; done'
Restart=always

[Install]
WantedBy=multi-user.target
EOF
  ln -sf /etc/systemd/system/do-agent.service "$r/etc/systemd/system/multi-user.target.wants/do-agent.service"
}

# DigitalOcean's cloud firewalls: FILE is the nft ruleset tests/host/cloudFirewall.ts renders from
# the plan. The bridges hand the droplets' IPv4 traffic to the host's IP hooks (br_netfilter).
firewall() {
  local file=$1
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true
  [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] ||
    { echo "the cloud firewalls need bridged traffic in nftables (br_netfilter, net.bridge.bridge-nf-call-iptables=1)" >&2; exit 1; }
  nft -f "$file"
}

net_down() {
  nft delete table inet shithub_cloud_firewall 2>/dev/null || true
  ip link del "$PUBLIC_BRIDGE" 2>/dev/null || true
  ip link del "$VPC_BRIDGE" 2>/dev/null || true
}

# A short name for a droplet's links (interface names have 15 characters at most).
tag() { echo "$1" | cksum | cut -c1-6; }

boot() {
  local dir=$1 name=$2 public=$3 private=$4 user_data=$5 key=$6 volume=$7 world=$8
  local r="$dir/rootfs" ns="shithub-$name" tag
  tag=$(tag "$name")
  halt "$dir" "$name" >/dev/null 2>&1 || true
  rm -rf "$r"
  cp -a "$CACHE/rootfs" "$r"

  # The seed DigitalOcean's metadata service would serve: the user data, and the droplet's keys.
  local seed="$r/var/lib/cloud/seed/nocloud"
  mkdir -p "$seed"
  cp "$user_data" "$seed/user-data"
  { echo "instance-id: $name-$(date +%s%N)"; echo "local-hostname: $name"; echo "public-keys:"; echo "  - $(cat "$key")"; } >"$seed/meta-data"
  # The world outside: a CA the droplet trusts and the names public DNS answers.
  install -m 0644 "$world/ca.crt" "$r/usr/local/share/ca-certificates/shithub-test-world.crt"
  chroot "$r" update-ca-certificates >/dev/null 2>&1
  cat "$world/hosts" >>"$r/etc/hosts"
  do_agent "$r"
  if [ "$volume" = 1 ]; then
    # The attached volume: a host directory on /data, and the link udev makes for its label.
    rm -rf "$dir/volume"
    mkdir -p "$dir/volume"
    echo 'L /dev/disk/by-label/shithub-data - - - - /dev/null' >"$r/etc/tmpfiles.d/shithub-test-volume.conf"
  fi
  start "$dir" "$name" "$public" "$private" "$volume"
}

# A droplet's power on: its network, then its init, on the disk (and volume) it has.
start() {
  local dir=$1 name=$2 public=$3 private=$4 volume=$5
  local r="$dir/rootfs" ns="shithub-$name" tag
  tag=$(tag "$name")
  local binds=(--bind-ro="$CACHE/debs:/srv/shithub-debs")
  if [ "$volume" = 1 ]; then binds+=(--bind="$dir/volume:/data"); fi

  ip netns add "$ns"
  ip link add "sh${tag}p" type veth peer name eth0 netns "$ns"
  ip link add "sh${tag}v" type veth peer name eth1 netns "$ns"
  ip link set "sh${tag}p" master "$PUBLIC_BRIDGE" up
  ip link set "sh${tag}v" master "$VPC_BRIDGE" up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip addr add "$public/24" dev eth0
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip addr add "$private" dev eth1
  ip netns exec "$ns" ip link set eth1 up
  ip netns exec "$ns" ip route add "$METADATA_IP/32" dev eth0
  # A droplet's gateway to the internet: here, this host, where the test's clients live.
  ip netns exec "$ns" ip route add default via "$HOST_IP" dev eth0

  # CAP_NET_ADMIN as a droplet's root has it (nftables), confined to the droplet's own namespace.
  # --keep-unit runs the droplet in nspawn's own cgroup: each droplet gets one of its own first
  # (droplet_cgroup), else every droplet's systemd would make and remove its units' cgroups in
  # the same tree, and a unit of one droplet fails to start (219/CGROUP) when another's cleans up.
  local cgroups
  cgroups=$(droplet_cgroup "$name")
  # shellcheck disable=SC2016 # $$ and $CGROUPS are the inner shell's: it moves itself, then becomes nspawn
  CGROUPS=$cgroups setsid bash -c 'for h in $CGROUPS; do echo $$ >"$h/cgroup.procs"; done; exec systemd-nspawn "$@"' - \
    -b -D "$r" -M "$name" --register=no --keep-unit --timezone=off --capability=CAP_NET_ADMIN "${binds[@]}" \
    --network-namespace-path="/run/netns/$ns" --console=read-only >"$dir/nspawn.log" 2>&1 &
  local nspawn=$! leader state
  echo "$nspawn" >"$dir/nspawn.pid"
  # `is-system-running` stays "starting" until cloud-final (packages, runcmd) has finished.
  for _ in $(seq 1 3000); do
    leader=$(pgrep -P "$nspawn" -x systemd || true)
    if [ -n "$leader" ]; then
      # Known from the start, so that a halt during boot can end the container too.
      [ -f "$dir/leader" ] || echo "$leader" >"$dir/leader"
      state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
      case $state in
        running | degraded)
          echo "droplet $name: $state"
          return 0
          ;;
      esac
    fi
    kill -0 "$nspawn" 2>/dev/null || break
    sleep 0.2
  done
  echo "droplet $name did not boot"
  tail -50 "$dir/nspawn.log"
  exit 1
}

halt() {
  local dir=$1 name=$2 tries=${3:-100} pid leader=""
  [ -f "$dir/leader" ] && leader=$(cat "$dir/leader")
  if [ -n "$leader" ]; then nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true; fi
  pid=$(cat "$dir/nspawn.pid" 2>/dev/null || true)
  for _ in $(seq 1 "$tries"); do
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" || true; fi
  # A container that ignored the poweroff (one still booting) outlives a killed nspawn: kill its
  # init, whose death ends every process of its PID namespace. Only if it is still this droplet's.
  if [ -n "$leader" ] && [ "$(readlink "/proc/$leader/root" 2>/dev/null)" = "$(readlink -f "$dir/rootfs")" ]; then
    kill -9 "$leader" 2>/dev/null || true
  fi
  ip netns del "shithub-$name" 2>/dev/null || true
  local h
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    if [ -d "$h/shithub-droplets/$name" ]; then find "$h/shithub-droplets/$name" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  ip link del "sh$(tag "$name")p" 2>/dev/null || true
  ip link del "sh$(tag "$name")v" 2>/dev/null || true
  rm -f "$dir/leader" "$dir/nspawn.pid"
}

case ${1:-} in
  tools) need_tools ;;
  image) image ;;
  net-up) net_up ;;
  net-down) net_down ;;
  firewall) firewall "$2" ;;
  boot) boot "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" ;;
  halt) halt "$2" "$3" ;;
  # A reboot as a droplet's: its systemd powers off cleanly, the same disk and volume boot again.
  reboot) halt "$2" "$3" 900 && start "$2" "$3" "$4" "$5" "$6" ;;
  *)
    echo "usage: cloud.sh tools | image | net-up | net-down | boot DIR NAME PUBLIC PRIVATE/PREFIX USER_DATA PUBKEY VOLUME WORLD | halt DIR NAME | reboot DIR NAME PUBLIC PRIVATE/PREFIX VOLUME" >&2
    exit 2
    ;;
esac

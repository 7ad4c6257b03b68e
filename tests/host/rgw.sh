#!/usr/bin/env bash
# S3 for the backup tests: a single-node Ceph cluster (one mon, one memstore OSD) and radosgw,
# the server software DigitalOcean Spaces runs on, listening on :7480 (the container reaches
# it at 10.213.0.1:7480). No cephx; everything lives in DIR.
#
#   rgw.sh up DIR      start it and create the user ACCESS/SECRET ($S3_ACCESS_KEY/$S3_SECRET_KEY);
#                      with $RGW_TLS (ADDRESS CERT KEY) it also serves HTTPS on ADDRESS:443, as Spaces does,
#                      and with $RGW_HOSTNAMES (e.g. "nyc3.digitaloceanspaces.com") buckets as their subdomains;
#                      the store is memory of $RGW_MEMSTORE_BYTES (2 GiB unless set)
#   rgw.sh key DIR ACCESS SECRET   another key pair for that user (a Spaces key the program made)
#   rgw.sh user DIR UID ACCESS SECRET   a user of its own with one key pair: a bucket-scoped Spaces key,
#                      which reaches a bucket only where that bucket's policy allows its principal
#                      (arn:aws:iam:::user/UID), as Spaces' scoped keys reach only their grants
#   rgw.sh policy DIR BUCKET FILE   set BUCKET's policy (S3 PutBucketPolicy, as the owner)
#   rgw.sh down DIR    stop it (kill -9: memstore has nothing to flush; SIGTERM takes minutes)
set -euo pipefail

need_tools() {
  command -v radosgw >/dev/null && command -v rclone >/dev/null && command -v curl >/dev/null && command -v s3cmd >/dev/null && return 0
  export DEBIAN_FRONTEND=noninteractive
  local pkgs="ceph-mon ceph-osd radosgw ceph-common rclone curl s3cmd"
  # shellcheck disable=SC2086 # a list of package names
  apt-get install -y -qq --no-install-recommends $pkgs >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; }
}

start_rgw() {
  local d=$1
  setsid radosgw -c "$d/ceph.conf" -n client.rgw.a -f >>"$d/log/rgw.out" 2>&1 &
  echo $! >"$d/rgw.pid"
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null http://127.0.0.1:7480/ && return 0
    sleep 0.5
  done
  echo "radosgw did not come up"
  tail -20 "$d/log/client.rgw.a.log"
  exit 1
}

up() {
  local d=$1 fsid u id tls="" addr cert key
  need_tools
  if [ -n "${RGW_TLS:-}" ]; then
    read -r addr cert key <<<"$RGW_TLS"
    tls=" ssl_endpoint=$addr:443 ssl_certificate=$cert ssl_private_key=$key"
  fi
  down "$d" >/dev/null 2>&1 || true
  rm -rf "$d"
  mkdir -p "$d"/{mon,osd0,rgw,run,log}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:3300
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
run dir = $d/run
log file = $d/log/\$name.log
admin socket = $d/run/\$name.asok
pid file = $d/run/\$name.pid
ms bind ipv6 = false
public addr = 127.0.0.1
osd objectstore = memstore
memstore device bytes = ${RGW_MEMSTORE_BYTES:-2147483648}
[mon.a]
mon data = $d/mon
[osd.0]
osd data = $d/osd0
[client.rgw.a]
# radosgw defaults to ms_mon_client_mode=secure, which fails (-13) with auth none
ms mon client mode = crc
rgw frontends = beast endpoint=0.0.0.0:7480$tls
rgw data = $d/rgw
CONF
  local c=(-c "$d/ceph.conf")
  monmaptool --create --add a v2:127.0.0.1:3300 --fsid "$fsid" "$d/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$d/monmap"
  setsid ceph-mon "${c[@]}" -i a -f >"$d/log/mon.out" 2>&1 &
  echo $! >"$d/mon.pid"
  timeout 30 ceph "${c[@]}" -s >/dev/null
  u=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph "${c[@]}" osd new "$u")
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$u" >/dev/null 2>&1
  setsid ceph-osd "${c[@]}" -i "$id" -f >"$d/log/osd.out" 2>&1 &
  echo $! >"$d/osd.pid"
  start_rgw "$d"
  radosgw-admin "${c[@]}" -n client.admin user create --uid=shithub --display-name=shithub \
    --access-key="${S3_ACCESS_KEY:-HOSTTESTACCESS}" --secret-key="${S3_SECRET_KEY:-hosttestsecret}" >/dev/null
  if [ -n "${RGW_HOSTNAMES:-}" ]; then
    # Virtual-host style (bucket.nyc3.digitaloceanspaces.com), which rclone's DigitalOcean provider
    # uses: the zonegroup's host names, read when radosgw starts.
    local names
    # shellcheck disable=SC2086 # a list of names
    names=$(printf '"%s",' $RGW_HOSTNAMES)
    radosgw-admin "${c[@]}" -n client.admin zonegroup get --rgw-zonegroup=default >"$d/zonegroup.json"
    sed -i "0,/\"hostnames\": \[\]/s//\"hostnames\": [${names%,}]/" "$d/zonegroup.json"
    radosgw-admin "${c[@]}" -n client.admin zonegroup set --rgw-zonegroup=default --infile "$d/zonegroup.json" >/dev/null
    kill -9 "$(cat "$d/rgw.pid")"
    start_rgw "$d"
  fi
  echo "radosgw up on :7480"
}

key() {
  radosgw-admin -c "$1/ceph.conf" -n client.admin key create --uid=shithub --key-type=s3 --access-key="$2" --secret-key="$3" >/dev/null
}

user() {
  # Once per key: the same plan's keys again (a stack's later up) are already users.
  radosgw-admin -c "$1/ceph.conf" -n client.admin user info --uid="$2" >/dev/null 2>&1 && return 0
  radosgw-admin -c "$1/ceph.conf" -n client.admin user create --uid="$2" --display-name="$2" --access-key="$3" --secret-key="$4" >/dev/null
}

policy() {
  s3cmd --no-ssl --host=127.0.0.1:7480 --host-bucket=127.0.0.1:7480 --access_key="${S3_ACCESS_KEY:-HOSTTESTACCESS}" \
    --secret_key="${S3_SECRET_KEY:-hosttestsecret}" setpolicy "$3" "s3://$2" >/dev/null
}

down() {
  local d=$1 p
  for p in rgw osd mon; do
    if [ -f "$d/$p.pid" ]; then kill -9 "$(cat "$d/$p.pid")" 2>/dev/null || true; fi
  done
}

case ${1:-} in
  up) up "$2" ;;
  key) key "$2" "$3" "$4" ;;
  user) user "$2" "$3" "$4" "$5" ;;
  policy) policy "$2" "$3" "$4" ;;
  down) down "$2" ;;
  *)
    echo "usage: rgw.sh up DIR | key DIR ACCESS SECRET | user DIR UID ACCESS SECRET | policy DIR BUCKET FILE | down DIR" >&2
    exit 2
    ;;
esac

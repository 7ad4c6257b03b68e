#!/bin/bash
# shithub-pitr-drill TARGET_TIME [SQL]: point-in-time recovery, drilled. Restores the newest base
# backup taken before TARGET_TIME into a scratch PostgreSQL in a temporary directory, replays the
# archived WAL up to TARGET_TIME, promotes it, prints SQL's result (default: the row count of
# every table) and tears everything down. Nothing touches the running database.
#   shithub-pitr-drill '2026-11-26 06:00:00+00' < ~/shithub-backup.key
# TARGET_TIME as PostgreSQL reads recovery_target_time. Base backups and WAL are sealed to the
# operators' age recipients: the drill reads an age identity on stdin (no host holds theirs) and
# forgets it when done. The scratch server runs as shithub-drill in a sandbox with no network; it
# never sees the identity: root fetches and opens each WAL file it asks for.
set -euo pipefail

# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-backup/backup.env
: "${WAL_REMOTE:?}" "${WAL_RCLONE_CONFIG:?}"
# The WAL key only: the dump key is not the archiver's to read.
export RCLONE_CONFIG=$WAL_RCLONE_CONFIG

log() { printf 'shithub-pitr-drill: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

target=${1:?usage: shithub-pitr-drill TARGET_TIME [SQL]}
sql=${2:-}
date -u -d "$target" >/dev/null || fail "cannot read the time $target"
pg_bin=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)}
[ -x "$pg_bin/pg_ctl" ] || fail "no PostgreSQL server binaries under $pg_bin"

# The newest base backup taken before the target (shithub-basebackup names them by time).
base=$(/usr/local/bin/shithub-base-before "$WAL_REMOTE" "$target") || base=""
[ -n "$base" ] || fail "no base backup in $WAL_REMOTE/base taken before $target"

# A base backup is only as trustworthy as whoever can write the WAL bucket: it may carry settings
# of its own (postgresql.auto.conf), links out of its directory, or WAL that runs code. So the
# scratch server runs as shithub-drill, never postgres, in a sandbox that writes nothing but its
# own directories and has no network; every setting that runs code is given on its command line,
# which overrides any file; and the age identity stays root's: root's feeder fetches and opens each
# WAL file the server asks for (shithub-wal-spool) into a spool the server only reads.
drill_user=shithub-drill
cd /
getent passwd "$drill_user" >/dev/null || fail "no user $drill_user (the backup setup step makes it)"
work=$(mktemp -d /var/tmp/shithub-pitr.XXXXXX)
identity=$(mktemp /run/shithub-pitr-identity.XXXXXX)
unit="shithub-pitr-drill-${work##*.}"
feeder=""
as_drill() { runuser -u "$drill_user" -- "$@"; }
cleanup() {
  systemctl stop "$unit.service" >/dev/null 2>&1 || true
  [ -z "$feeder" ] || kill "$feeder" 2>/dev/null || true
  rm -rf -- "$work"
  rm -f -- "$identity"
}
trap cleanup EXIT
# Root's: the directory, the configuration, the spool and the answers. The drill user's: the data
# directory, the socket and the requests.
chmod 0711 "$work"
install -d -m 0755 "$work/conf" "$work/spool" "$work/missing"
install -d -m 0700 -o "$drill_user" -g "$drill_user" "$work/data" "$work/run" "$work/want"

[ ! -t 0 ] || fail "base backups and WAL are sealed: give the age identity on stdin (shithub-pitr-drill TIME < identity)"
cat >"$identity"
grep -q '^AGE-SECRET-KEY-1' "$identity" || fail "stdin holds no age identity"

start=$(date +%s)
rclone cat --s3-no-check-bucket "$WAL_REMOTE/base/$base" | age --decrypt --identity "$identity" | as_drill tar -xz -C "$work/data" ||
  fail "download, decryption or unpacking of $base (is the identity one of the recipients'?)"
# The cluster's files only: the backup's own settings, signals and pid files go (Debian keeps the
# configuration in /etc, so a real base backup has none but postgresql.auto.conf).
as_drill rm -rf -- "$work/data/postgresql.auto.conf" "$work/data/postgresql.conf" "$work/data/pg_hba.conf" \
  "$work/data/pg_ident.conf" "$work/data/postmaster.pid" "$work/data/postmaster.opts" \
  "$work/data/standby.signal" "$work/data/recovery.signal" "$work/data/recovery.conf"
as_drill touch "$work/data/recovery.signal"
cat >"$work/conf/postgresql.conf" <<CONF
data_directory = '$work/data'
hba_file = '$work/conf/pg_hba.conf'
ident_file = '$work/conf/pg_ident.conf'
unix_socket_directories = '$work/run'
fsync = off
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
echo "local all all trust" >"$work/conf/pg_hba.conf"
: >"$work/conf/pg_ident.conf"

# Root's feeder: each request names a WAL file (checked again here), which root fetches and opens
# into the spool; an answer is the file, or a "missing" mark. Root only reads names in the request
# directory and unlinks them, and writes only in its own. The three newest files stay spooled.
feed_wal() {
  local request name served=()
  while :; do
    for request in "$work/want"/*; do
      [ -e "$request" ] || continue
      name=${request##*/}
      rm -f -- "$request"
      [[ $name =~ ^[0-9A-F]{24}$|^[0-9A-F]{8}\.history$|^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$ ]] || continue
      if /usr/local/bin/shithub-wal-restore "$name" "$work/spool/.$name" "$identity"; then
        chmod 0644 "$work/spool/.$name"
        mv -f -- "$work/spool/.$name" "$work/spool/$name"
        served+=("$name")
        while [ "${#served[@]}" -gt 3 ]; do rm -f -- "$work/spool/${served[0]}"; served=("${served[@]:1}"); done
      else
        rm -f -- "$work/spool/.$name"
        : >"$work/missing/$name"
      fi
    done
    sleep 0.05
  done
}
feed_wal &
feeder=$!

# Every setting that could run code or reach out, on the command line: it overrides every file.
systemd-run --quiet --unit="$unit" --collect --service-type=exec \
  -p User="$drill_user" -p Group="$drill_user" -p PrivateNetwork=yes -p ProtectSystem=strict -p ProtectHome=yes \
  -p PrivateDevices=yes -p NoNewPrivileges=yes -p CapabilityBoundingSet= -p RestrictSUIDSGID=yes \
  -p ReadWritePaths="$work/data $work/run $work/want" -p InaccessiblePaths="-/etc/shithub-backup" \
  -p KillSignal=SIGQUIT -p StandardOutput="file:$work/server.log" -p StandardError="file:$work/server.log" \
  -- "$pg_bin/postgres" -D "$work/data" -c config_file="$work/conf/postgresql.conf" \
  -c restore_command="/usr/local/bin/shithub-wal-spool %f %p $work" -c archive_mode=off -c archive_command= \
  -c archive_library= -c shared_preload_libraries= -c session_preload_libraries= -c local_preload_libraries= \
  -c listen_addresses= -c ssl=off -c logging_collector=off ||
  fail "the scratch server's unit did not start"
# Recovery replays up to the target, then promotes: wait for that, not for a fixed time.
in_recovery() { as_drill psql -h "$work/run" -U postgres -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null; }
for _ in $(seq 1 2400); do
  [ "$(in_recovery)" = f ] && break
  systemctl is-active --quiet "$unit.service" || { tail -n 5 "$work/server.log" >&2; fail "recovery to $target stopped"; }
  sleep 0.25
done
[ "$(in_recovery)" = f ] || { tail -n 5 "$work/server.log" >&2; fail "recovery to $target did not finish"; }

if [ -n "$sql" ]; then
  as_drill psql -h "$work/run" -U postgres -X -At -v ON_ERROR_STOP=1 -d shithub -c "$sql" || fail "the query failed on the recovered database"
else
  as_drill psql -h "$work/run" -U postgres -X -At -d shithub -c "
    SELECT format('%s %s', c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY c.relname"
fi
log "recovered to $target from $base and the archived WAL in $(($(date +%s) - start)) s"

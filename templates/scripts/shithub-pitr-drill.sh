#!/bin/bash
# shithub-pitr-drill TARGET_TIME [SQL]: point-in-time recovery, drilled. Restores the newest base
# backup taken before TARGET_TIME into a scratch PostgreSQL in a temporary directory, replays the
# archived WAL up to TARGET_TIME, promotes it, prints SQL's result (default: the row count of
# every table) and tears everything down. Nothing touches the running database.
#   shithub-pitr-drill '2026-11-26 06:00:00+00' < ~/shithub-backup.key
# TARGET_TIME as PostgreSQL reads recovery_target_time. Base backups and WAL are sealed to the
# operators' age recipients: the drill reads an age identity on stdin (no host holds one) and
# forgets it when done. The scratch server runs as postgres with no network; restore_command
# fetches and opens each WAL segment (shithub-wal-restore).
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
target_epoch=$(date -u -d "$target" +%s) || fail "cannot read the time $target"
pg_bin=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)}
[ -x "$pg_bin/pg_ctl" ] || fail "no PostgreSQL server binaries under $pg_bin"

# Base backups are base/base-YYYYMMDDTHHMMSSZ.tar.gz.age (shithub-basebackup): the newest one before the target.
base=""
while read -r name; do
  [[ $name =~ ^base-([0-9]{8})T([0-9]{2})([0-9]{2})([0-9]{2})Z\.tar\.gz\.age$ ]] || continue
  taken=$(date -u -d "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:${BASH_REMATCH[3]}:${BASH_REMATCH[4]}" +%s)
  [ "$taken" -le "$target_epoch" ] && base=$name
done < <(rclone lsf --s3-no-check-bucket --files-only "$WAL_REMOTE/base" | sort)
[ -n "$base" ] || fail "no base backup in $WAL_REMOTE/base taken before $target"

work=$(mktemp -d /var/tmp/shithub-pitr.XXXXXX)
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
install -d -m 0700 -o postgres -g postgres "$work/data"
chown postgres: "$work"

# The identity lives in the scratch directory (postgres's, 0600: restore_command runs as postgres) for the drill's length only.
[ ! -t 0 ] || fail "base backups and WAL are sealed: give the age identity on stdin (shithub-pitr-drill TIME < identity)"
(umask 077 && cat >"$work/identity")
grep -q '^AGE-SECRET-KEY-1' "$work/identity" || fail "stdin holds no age identity"
chown postgres: "$work/identity"

start=$(date +%s)
rclone cat --s3-no-check-bucket "$WAL_REMOTE/base/$base" | age --decrypt --identity "$work/identity" | as_pg tar -xz -C "$work/data" ||
  fail "download, decryption or unpacking of $base (is the identity one of the recipients'?)"
# The base backup holds the data directory only (Debian keeps the configuration in /etc): a
# configuration of its own, local connections only, and the recovery target.
cat >"$work/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work'
hba_file = '$work/data/pg_hba.conf'
ident_file = '$work/data/pg_ident.conf'
archive_mode = off
fsync = off
restore_command = '/usr/local/bin/shithub-wal-restore %f %p $work/identity'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
echo "local all all trust" >"$work/data/pg_hba.conf"
: >"$work/data/pg_ident.conf"
rm -f "$work/data/postmaster.pid" "$work/data/postmaster.opts"
touch "$work/data/recovery.signal"
chown -R postgres: "$work/data"

as_pg "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 600 start >/dev/null ||
  { tail -n 5 "$work/server.log" >&2; fail "the scratch server did not start from $base"; }
# Recovery replays up to the target, then promotes: wait for that, not for a fixed time.
for _ in $(seq 1 1200); do
  [ "$(as_pg psql -h "$work" -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  as_pg "$pg_bin/pg_ctl" -D "$work/data" status >/dev/null 2>&1 || { tail -n 5 "$work/server.log" >&2; fail "recovery to $target stopped"; }
  sleep 0.5
done
[ "$(as_pg psql -h "$work" -X -At -d postgres -c 'SELECT pg_is_in_recovery()')" = f ] || fail "recovery to $target did not finish"

if [ -n "$sql" ]; then
  as_pg psql -h "$work" -X -At -v ON_ERROR_STOP=1 -d shithub -c "$sql" || fail "the query failed on the recovered database"
else
  as_pg psql -h "$work" -X -At -d shithub -c "
    SELECT format('%s %s', c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY c.relname"
fi
log "recovered to $target from $base and the archived WAL in $(($(date +%s) - start)) s"

#!/bin/bash
# shithub-recover-db [TARGET_TIME] < identity: this db host's cluster becomes the lost
# environment's database, from its base backup and archived WAL (shithubd:recovery names the
# buckets; /etc/shithub-recovery/db.env has the remote and its read-only key). Replays to
# TARGET_TIME (as PostgreSQL reads recovery_target_time; by default shithubd:recovery's `to`) or to
# the end of the archive, promotes,
# and prints the time of the last transaction it replayed: what came back.
#
# It refuses a cluster whose shithub database holds any table: a recovery only ever replaces the
# empty database a held stack converged with, and the data directory it replaces is kept beside
# it. The roles keep this stack's passwords: their verifiers are read before and set after.
set -euo pipefail
# shellcheck disable=SC1091 # written on the host by shithub-infra
. /etc/shithub-recovery/db.env
: "${RECOVERY_WAL_REMOTE:?}" "${RECOVERY_RCLONE_CONFIG:?}" "${PG_MAJOR:?}"
export RCLONE_CONFIG=$RECOVERY_RCLONE_CONFIG

log() { printf 'shithub-recover-db: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

target=${1:-${RECOVERY_TARGET:-}}
[ -z "$target" ] || date -u -d "$target" >/dev/null || fail "cannot read the time $target"
unit=postgresql@$PG_MAJOR-main.service
conf=/etc/postgresql/$PG_MAJOR/main
psql_pg() { runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 "$@"; }

[ ! -t 0 ] || fail "base backups and WAL are sealed: give an age identity on stdin (shithub-recover-db < identity)"
identity=$(mktemp /run/shithub-recover-identity.XXXXXX)
recovery_conf=$conf/conf.d/zz-shithub-recovery.conf
cleanup() { rm -f -- "$identity" "$recovery_conf"; }
trap cleanup EXIT
cat >"$identity"
grep -q '^AGE-SECRET-KEY-1' "$identity" || fail "stdin holds no age identity"
# The server's restore_command opens each segment as postgres: the identity is postgres's while it runs.
chown postgres "$identity"

systemctl is-active --quiet "$unit" || fail "PostgreSQL $PG_MAJOR is not running: converge the stack first (pulumi up)"
tables=$(psql_pg -d shithub -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
[ "$tables" = 0 ] || fail "the shithub database holds $tables tables: a recovery replaces only the empty database of a stack held for recovery"
declare -A verifier
for role in shithub shithub_backup; do
  verifier[$role]=$(psql_pg -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = '$role'")
done

# The newest base backup taken before the target.
base=$(/usr/local/bin/shithub-base-before "$RECOVERY_WAL_REMOTE" "${target:-now}") || base=""
[ -n "$base" ] || fail "no base backup in $RECOVERY_WAL_REMOTE/base${target:+ taken before $target}"

start=$(date +%s)
data=$(pg_conftool -s "$PG_MAJOR" main show data_directory)
incoming=$data.recovering
rm -rf -- "$incoming"
install -d -m 0700 -o postgres -g postgres "$incoming"
rclone cat --s3-no-check-bucket "$RECOVERY_WAL_REMOTE/base/$base" | age --decrypt --identity "$identity" | runuser -u postgres -- tar -xz -C "$incoming" ||
  fail "download, decryption or unpacking of $base (is the identity one of the recipients'?)"
[ "$(cat "$incoming/PG_VERSION")" = "$PG_MAJOR" ] || fail "$base is a PostgreSQL $(cat "$incoming/PG_VERSION") cluster; this host runs $PG_MAJOR"
# The cluster's files only: a base backup's own settings could run code (Debian keeps the
# configuration in /etc, so a real one has none but postgresql.auto.conf).
rm -f -- "$incoming/postgresql.auto.conf" "$incoming/postgresql.conf" "$incoming/pg_hba.conf" "$incoming/pg_ident.conf" \
  "$incoming/postmaster.pid" "$incoming/postmaster.opts" "$incoming/standby.signal" "$incoming/recovery.conf"
runuser -u postgres -- touch "$incoming/recovery.signal"
{
  echo "# written by shithub-recover-db for one recovery; removed when it ends"
  echo "restore_command = 'SHITHUB_WAL_REMOTE=$RECOVERY_WAL_REMOTE SHITHUB_WAL_RCLONE_CONFIG=$RECOVERY_RCLONE_CONFIG /usr/local/bin/shithub-wal-restore %f %p $identity'"
  [ -z "$target" ] || echo "recovery_target_time = '$target'"
  echo "recovery_target_action = 'promote'"
} >"$recovery_conf"

systemctl stop "$unit"
# Never destroyed: the database this stack converged with stays beside the recovered one.
mv -T -- "$data" "$data.before-recovery-$(date -u +%Y%m%dT%H%M%SZ)"
mv -T -- "$incoming" "$data"
systemctl start "$unit" || fail "PostgreSQL did not start on the recovered data (journalctl -u $unit)"
for _ in $(seq 1 3600); do
  [ "$(psql_pg -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  systemctl is-active --quiet "$unit" || fail "PostgreSQL stopped during recovery (journalctl -u $unit)"
  sleep 0.5
done
[ "$(psql_pg -d postgres -c 'SELECT pg_is_in_recovery()')" = f ] || fail "recovery did not end within 30 minutes"
rm -f -- "$recovery_conf"

for role in shithub shithub_backup; do
  [ -n "${verifier[$role]}" ] || continue
  # psql interpolates a variable in a script, never in -c: the verifier is a value, not SQL.
  echo "ALTER ROLE $role PASSWORD :'v'" | psql_pg -d postgres -v v="${verifier[$role]}" -f - >/dev/null
done
replayed=$(psql_pg -d postgres -c "SELECT to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
log "recovered from $base and the archived WAL in $(($(date +%s) - start)) s; the last transaction replayed committed at ${replayed:-(none: the base backup alone)}"
echo "${replayed}"

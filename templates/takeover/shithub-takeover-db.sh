#!/bin/bash
# shithub-takeover-db <verb>: the database half of taking a live forge over (docs/runbooks/takeover.md).
# The old box's PostgreSQL publishes every table but the migration ledger; the stack's db host,
# whose schema shithubd's own `migrate up` made at the same version, subscribes and copies. In the
# window, with the old forge read-only: wait until the subscriber has everything, copy the
# sequences (logical replication does not), compare every table's rows, and take it all down.
# Logical replication works across PostgreSQL majors, either way (16 on the old box, the image's
# major on the new). Run as root on the host named; psql runs as postgres over the local socket.
#
#   source-logical [ADDRESS] (old box) logical WAL (and, with ADDRESS, the server listening there
#                            besides localhost): one restart of PostgreSQL (a few seconds) when
#                            either changes, none when both are already so
#   source-prepare CIDR      (old box) role, publication and a pg_hba line for the subscriber at
#                            CIDR (127.0.0.1/32 through npm run takeover's SSH tunnel); reads the
#                            role's SCRAM verifier on stdin (never its password)
#   source-caught-up SECONDS (old box) waits until the subscriber confirmed every byte written so
#                            far; exit 1 when it has not within SECONDS
#   sequences                (old box) prints each sequence's setval, for `target-sequences`
#   target-subscribe HOST PORT (new db host) subscribes to the old box; reads the role's password
#                            on stdin (kept in a passfile only postgres reads); TLS required
#                            unless HOST is loopback (the SSH tunnel is the encryption)
#   target-ready SECONDS     (new db host) waits until every table's initial copy is done
#   target-sequences         (new db host) applies `sequences`' output from stdin
#   counts                   (either) each table's exact row count, `table<TAB>count`, sorted
#   target-finish            (new db host) drops the subscription and the passfile
#   source-finish CIDR       (old box) drops the publication, the slot, the role and the pg_hba line
set -euo pipefail
DB=${TAKEOVER_DATABASE:-shithub}
ROLE=shithub_takeover
NAME=shithub_takeover
# Where the target keeps the source's password for the subscription's worker (a libpq client).
PASSFILE=${TAKEOVER_PASSFILE:-/var/lib/postgresql/.shithub-takeover.pgpass}
# The migration ledger: each side's own `migrate up` wrote it; it is compared, never copied.
LEDGER=goose_db_version

die() { printf 'shithub-takeover-db: %s\n' "$*" >&2; exit "${2:-1}"; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
sql() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }

# A CIDR as pg_hba takes it: an address and a prefix, nothing that could end the line or the field.
check_cidr() { [[ $1 =~ ^[0-9a-fA-F:.]+/[0-9]{1,3}$ ]] || die "not an address range: $1" 2; }

wait_for() { # SECONDS QUERY: until QUERY prints t
  local deadline=$((SECONDS + $1))
  until [ "$(sql -c "$2")" = t ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# Over the SSH tunnel the subscriber arrives on loopback, encrypted already; from elsewhere, TLS only.
hba_line() {
  local type=hostssl
  case $1 in 127.0.0.1/32 | ::1/128) type=host ;; esac
  printf '%s %s %s %s scram-sha-256 # shithub-takeover\n' "$type" "$DB" "$ROLE" "$1"
}

case ${1:-} in
  source-logical)
    address=${2:-}
    [ -z "$address" ] || [[ $address =~ ^[0-9a-fA-F:.]+$ ]] || die "not an address: $address" 2
    sql -c 'ALTER SYSTEM SET wal_level = logical'
    [ -z "$address" ] || sql -v address="$address" <<'SQL'
SELECT format('ALTER SYSTEM SET listen_addresses = %L', 'localhost,' || :'address')\gexec
SQL
    # Reloaded, the server says whether what changed needs the restart.
    sql -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 1
    if [ "$(sql -c "SELECT bool_or(pending_restart) FROM pg_settings WHERE name IN ('wal_level', 'listen_addresses')")" = t ]; then
      cluster=$(sql -c "SELECT setting FROM pg_settings WHERE name = 'cluster_name'")
      if [ -n "$cluster" ] && systemctl list-units --plain --no-legend "postgresql@${cluster/\//-}.service" | grep -q .; then
        systemctl restart "postgresql@${cluster/\//-}.service"
      else
        systemctl restart postgresql.service
      fi
      for _ in $(seq 1 60); do sql -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
      echo "PostgreSQL restarted"
    fi
    [ "$(sql -c 'SHOW wal_level')" = logical ] || die "PostgreSQL did not come back with wal_level = logical"
    echo "logical WAL on${address:+; listening on localhost and $address}"
    ;;
  source-prepare)
    cidr=${2:?source-prepare needs the address range of the subscriber}
    check_cidr "$cidr"
    [ "$(sql -c 'SHOW wal_level')" = logical ] ||
      die "wal_level is $(sql -c 'SHOW wal_level'), logical replication needs logical: run ALTER SYSTEM SET wal_level = logical as postgres and restart PostgreSQL (a few seconds), then run this again" 3
    verifier=$(head -n 1)
    [[ $verifier =~ ^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$ ]] || die "stdin holds no SCRAM-SHA-256 verifier" 2
    sql -v verifier="$verifier" <<SQL
SELECT format('CREATE ROLE %I LOGIN REPLICATION', '$ROLE') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')\gexec
SELECT format('ALTER ROLE %I LOGIN REPLICATION PASSWORD %L', '$ROLE', :'verifier')\gexec
GRANT USAGE ON SCHEMA public TO $ROLE;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $ROLE;
SELECT format('CREATE PUBLICATION %I', '$NAME') WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '$NAME')\gexec
SELECT format('ALTER PUBLICATION %I SET TABLE %s', '$NAME', string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename))
  FROM pg_tables WHERE schemaname = 'public' AND tablename <> '$LEDGER' HAVING count(*) > 0\gexec
SQL
    hba=$(sql -c 'SHOW hba_file')
    grep -qxF "$(hba_line "$cidr")" "$hba" || hba_line "$cidr" >>"$hba"
    sql -c 'SELECT pg_reload_conf()' >/dev/null
    echo "published $(sql -c "SELECT count(*) FROM pg_publication_tables WHERE pubname = '$NAME'") tables to $cidr"
    ;;
  source-caught-up)
    seconds=${2:?source-caught-up needs a timeout in seconds}
    target=$(sql -c 'SELECT pg_current_wal_lsn()')
    wait_for "$seconds" "SELECT coalesce(bool_and(confirmed_flush_lsn >= '$target'), false) FROM pg_replication_slots WHERE slot_name = '$NAME'" ||
      die "the subscriber has not confirmed $target within ${seconds}s"
    echo "caught up to $target"
    ;;
  sequences)
    sql -c "SELECT format('SELECT setval(%L, %s, %s);', format('%I.%I', schemaname, sequencename), coalesce(last_value, 1), CASE WHEN last_value IS NULL THEN 'false' ELSE 'true' END) FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
    ;;
  target-subscribe)
    host=${2:?target-subscribe needs the address of the old box} port=${3:-5432}
    [[ $host =~ ^[A-Za-z0-9.:-]+$ && $port =~ ^[0-9]+$ ]] || die "bad address $host:$port" 2
    password=$(head -n 1)
    [ -n "$password" ] || die "stdin holds no password" 2
    install -m 0600 -o postgres -g postgres /dev/null "$PASSFILE"
    printf '%s:%s:%s:%s:%s\n' "$host" "$port" "$DB" "$ROLE" "${password//:/\\:}" >"$PASSFILE"
    sslmode=require
    case $host in 127.0.0.1 | ::1 | localhost) sslmode=disable ;; esac
    conninfo="host=$host port=$port dbname=$DB user=$ROLE passfile=$PASSFILE sslmode=${TAKEOVER_SSLMODE:-$sslmode}"
    sql -v conninfo="$conninfo" <<SQL
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I', '$NAME', :'conninfo', '$NAME')
  WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '$NAME')\gexec
SQL
    echo "subscribed to $host:$port"
    ;;
  target-ready)
    seconds=${2:?target-ready needs a timeout in seconds}
    wait_for "$seconds" "SELECT count(*) > 0 AND bool_and(r.srsubstate = 'r') FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = '$NAME'" ||
      die "the initial copy is not done within ${seconds}s: $(sql -c "SELECT string_agg(r.srrelid::regclass || '=' || r.srsubstate, ' ') FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = '$NAME' AND r.srsubstate <> 'r'")"
    echo "every table copied"
    ;;
  target-sequences)
    statements=$(cat)
    if [ -n "$statements" ]; then
      grep -qvE "^SELECT setval\('[^';]+', [0-9]+, (true|false)\);$" <<<"$statements" && die "stdin holds something other than setval lines" 2
      sql <<<"$statements" >/dev/null
    fi
    echo "$(grep -c . <<<"$statements" || true) sequences set"
    ;;
  counts)
    sql <<'SQL'
SELECT format('SELECT %L || E''\t'' || count(*) FROM %I.%I', tablename, schemaname, tablename)
  FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY tablename\gexec
SQL
    ;;
  target-finish)
    sql <<SQL
SELECT format('ALTER SUBSCRIPTION %I DISABLE', '$NAME') WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '$NAME')\gexec
SELECT format('DROP SUBSCRIPTION %I', '$NAME') WHERE EXISTS (SELECT 1 FROM pg_subscription WHERE subname = '$NAME')\gexec
SQL
    rm -f "$PASSFILE"
    echo "subscription dropped"
    ;;
  source-finish)
    cidr=${2:?source-finish needs the address range of the subscriber}
    check_cidr "$cidr"
    sql <<SQL
DROP PUBLICATION IF EXISTS $NAME;
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$NAME' AND NOT active;
SELECT format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', '$ROLE') WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')\gexec
SELECT format('REVOKE ALL ON SCHEMA public FROM %I', '$ROLE') WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')\gexec
DROP ROLE IF EXISTS $ROLE;
SQL
    hba=$(sql -c 'SHOW hba_file')
    grep -vxF "$(hba_line "$cidr")" "$hba" >"$hba.takeover" || true
    cat "$hba.takeover" >"$hba" && rm -f "$hba.takeover"
    sql -c 'SELECT pg_reload_conf()' >/dev/null
    echo "publication, slot, role and pg_hba line removed"
    ;;
  *)
    sed -n '2,26s/^# \{0,1\}//p' "$0" >&2
    exit 2
    ;;
esac

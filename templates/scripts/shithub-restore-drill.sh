#!/bin/bash
# shithub-restore-drill [KEY] < IDENTITY: restore the newest daily dump (or KEY) into a scratch
# PostgreSQL in a temporary directory, run smoke queries, print the row counts, tear everything
# down. Dumps in the bucket are sealed to the operators' age recipients and the weekly drill's: the
# drill reads an age identity on stdin (an operator's, or the drill's from its unit) and forgets it
# when done.
#   ssh root@<backup host> shithub-restore-drill < ~/shithub-backup.key
# shithub-restore-drill --local NAME: the same with the host's own copy of a dump (NAME under
# BACKUP_DIR), which needs no identity (the post-release drill).
# shithub-restore-drill --integrity [--local NAME | KEY]: also the real drill's integrity queries
# (fidelity F14: migrations applied, users not empty, no repository whose owner is gone, no push
# event or issue of a missing repository, auth_audit_log's columns), each named when it fails: the
# weekly drill (shithub-dump-drill.service, with the drill's identity on stdin). They need
# shithubd's schema, so the drills of other databases leave them out.
# Settings: /etc/shithub-backup/backup.env (BACKUP_REMOTE, RCLONE_CONFIG, BACKUP_DIR), and optionally
# DRILL_JOBS (pg_restore --jobs, default 4) and PG_BIN (default: the newest installed).
#
# A dump is whatever the bucket holds, so it is restored as an unprivileged role that owns the
# scratch database and nothing else: a planted dump cannot run programs (COPY TO PROGRAM), read
# files or create untrusted objects. The superuser only makes the extensions shithub's database
# has (DRILL_EXTENSIONS, the db setup's; a dump's own list is not trusted).
set -euo pipefail

# shellcheck disable=SC1091 # written on the host by shithub-infra
[ -f /etc/shithub-backup/backup.env ] && . /etc/shithub-backup/backup.env
: "${BACKUP_REMOTE:?}" "${RCLONE_CONFIG:?}"
export RCLONE_CONFIG
jobs=${DRILL_JOBS:-4}
# The extensions templates/postgresql/roles.sql.mustache creates (a unit test keeps them equal).
extensions=${DRILL_EXTENSIONS:-citext pg_stat_statements}
pg_bin=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)}
[ -x "$pg_bin/initdb" ] || { echo "shithub-restore-drill: no PostgreSQL server binaries under $pg_bin" >&2; exit 1; }

log() { printf 'shithub-restore-drill: %s\n' "$*" >&2; }

integrity=0
if [ "${1:-}" = "--integrity" ]; then
  integrity=1
  shift
fi
local_name=""
if [ "${1:-}" = "--local" ]; then
  local_name=${2:?--local needs the name of a dump under BACKUP_DIR}
  case $local_name in */* | .*) log "FAILED: $local_name is not a dump name"; exit 2 ;; esac
  : "${BACKUP_DIR:?}"
  set --
fi
key=${1:-}
if [ -n "$local_name" ]; then
  key="$BACKUP_DIR/$local_name"
elif [ -z "$key" ]; then
  key=$(rclone lsf --s3-no-check-bucket --recursive --files-only "$BACKUP_REMOTE/daily" | sort | tail -n 1)
  [ -n "$key" ] || { log "FAILED: no dump under $BACKUP_REMOTE/daily"; exit 1; }
  key="daily/$key"
fi

# Root's directory (the dump, the restore's errors) around postgres's (the scratch cluster and its
# socket): root never writes by name where postgres can; the identity is root's alone, in /run.
work=$(mktemp -d /var/tmp/shithub-drill.XXXXXX)
identity=""
chmod 0711 "$work"
install -d -m 0700 -o postgres -g postgres "$work/pg"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf -- "$work"
  [ -z "$identity" ] || rm -f -- "$identity"
}
trap cleanup EXIT

start=$(date +%s)
if [ -n "$local_name" ]; then
  install -m 0600 "$key" "$work/drill.dump" || { log "FAILED: no local dump $key"; exit 1; }
elif [[ $key == *.age ]]; then
  # The identity is root's alone (0600 in /run) for the drill's length only.
  [ ! -t 0 ] || { log "FAILED: $key is sealed: give the age identity on stdin (shithub-restore-drill $key < identity)"; exit 1; }
  identity=$(mktemp "${RUNTIME_DIRECTORY:-/run}/shithub-drill-identity.XXXXXX")
  cat >"$identity"
  grep -q '^AGE-SECRET-KEY-1' "$identity" || { log "FAILED: $key is sealed and stdin holds no age identity"; exit 1; }
  rclone cat --s3-no-check-bucket "$BACKUP_REMOTE/$key" | age --decrypt --identity "$identity" --output "$work/drill.dump" ||
    { log "FAILED: download or decryption of $key (is the identity one of the recipients'?)"; exit 1; }
  rm -f -- "$identity"
else
  rclone copyto --s3-no-check-bucket "$BACKUP_REMOTE/$key" "$work/drill.dump" || { log "FAILED: download of $key"; exit 1; }
fi
chown postgres: "$work/drill.dump"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres --no-sync >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories=$work/pg -c fsync=off -c jit=off" start >/dev/null
as_pg psql -h "$work/pg" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE ROLE drill LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION" >/dev/null
as_pg createdb -h "$work/pg" -O drill drill
for extension in $extensions; do
  as_pg psql -h "$work/pg" -X -q -v ON_ERROR_STOP=1 -d drill -c "CREATE EXTENSION IF NOT EXISTS \"$extension\"" >/dev/null
done
# --no-comments: COMMENT ON EXTENSION needs the extension's owner, the superuser.
as_pg pg_restore -h "$work/pg" -U drill --jobs="$jobs" --no-owner --no-privileges --no-comments --exit-on-error -d drill "$work/drill.dump" 2>"$work/restore.err" ||
  { grep -m 3 -E 'ERROR|error' "$work/restore.err" >&2 || true; log "FAILED: pg_restore of $key (as the unprivileged drill role)"; exit 1; }

# Smoke: the migration table exists and has rows; then every table's row count.
as_pg psql -h "$work/pg" -U drill -X -q -v ON_ERROR_STOP=1 -d drill \
  -c "SELECT 1 / (SELECT count(*) FROM goose_db_version)::int" >/dev/null ||
  { log "FAILED: smoke query (goose_db_version) on $key"; exit 1; }
# The real drill's integrity queries (deploy/restore-drill/smoke-queries.sql upstream), each a
# question whose answer must be t; an error (a table or column missing) fails it too.
if [ "$integrity" = 1 ]; then
  checks=(
    "migrations applied (goose_db_version has rows)|SELECT EXISTS (SELECT 1 FROM goose_db_version)"
    "users is not empty|SELECT EXISTS (SELECT 1 FROM users)"
    "repos is readable|SELECT count(*) >= 0 FROM repos"
    "no repository whose owner is gone (neither a user nor an org)|SELECT NOT EXISTS (SELECT 1 FROM repos r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.owner_user_id) AND NOT EXISTS (SELECT 1 FROM orgs o WHERE o.id = r.owner_org_id))"
    "no push event of a missing repository|SELECT NOT EXISTS (SELECT 1 FROM push_events p WHERE NOT EXISTS (SELECT 1 FROM repos r WHERE r.id = p.repo_id))"
    "no issue of a missing repository|SELECT NOT EXISTS (SELECT 1 FROM issues i WHERE NOT EXISTS (SELECT 1 FROM repos r WHERE r.id = i.repo_id))"
    "auth_audit_log has actor_user_id, action, occurred_at|SELECT count(*) = 3 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'auth_audit_log' AND column_name IN ('actor_user_id', 'action', 'occurred_at')"
  )
  failed=0
  for check in "${checks[@]}"; do
    answer=$(as_pg psql -h "$work/pg" -U drill -X -At -v ON_ERROR_STOP=1 -d drill -c "${check#*|}" 2>&1 | head -n 1) || true
    if [ "$answer" != t ]; then
      log "integrity: ${check%%|*}: FAILED (${answer:-no answer})"
      failed=$((failed + 1))
    fi
  done
  [ "$failed" = 0 ] || { log "FAILED: $failed of ${#checks[@]} integrity queries on $key"; exit 1; }
  log "integrity: ${#checks[@]} queries passed on $key"
fi
as_pg psql -h "$work/pg" -U drill -X -At -d drill -c "
  SELECT format('%s %s', c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY c.relname"
log "restored $key in $(($(date +%s) - start)) s"

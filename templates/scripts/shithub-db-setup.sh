# shithub-db-setup: PostgreSQL for shithub on the db host (after templates/scripts/lib/setup.sh).
# Puts the cluster's data on the host's volume, installs the listen settings and pg_hba, then
# creates (idempotently) the roles, the database and its extensions. Restarts PostgreSQL only
# when a setting that needs it changed; reloads it when only pg_hba did.

: "${STAGE:?}" "${PG_MAJOR:?}" "${DATA_DIR:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
conf=/etc/postgresql/$PG_MAJOR/main
unit=postgresql@$PG_MAJOR-main.service
[ -d "$conf" ] || fail "no PostgreSQL $PG_MAJOR cluster in $conf (this image ships another major version?)"

current=$(pg_conftool -s "$PG_MAJOR" main show data_directory)
if [ "$current" != "$DATA_DIR" ]; then
  mountpoint -q /data || fail "/data is not mounted: PostgreSQL's data must live on the volume"
  systemctl stop "$unit"
  if [ -f "$DATA_DIR/PG_VERSION" ]; then
    # A rebuilt host: the volume already holds the cluster; the fresh one on the root disk stays unused.
    log "using the cluster already on the volume ($DATA_DIR)"
  else
    install -d -m 0755 /data/postgresql
    install -d -m 0700 -o postgres -g postgres "$(dirname "$DATA_DIR")" "$DATA_DIR"
    cp -a "$current/." "$DATA_DIR/"
    log "moved the cluster from $current to $DATA_DIR"
  fi
  chown -R postgres:postgres "$(dirname "$DATA_DIR")"
  pg_conftool "$PG_MAJOR" main set data_directory "$DATA_DIR"
  changed+=(data_directory)
fi

# Debian gives the cluster's configuration directories to postgres; root installs by name there.
claim_dirs postgres /etc/postgresql "/etc/postgresql/$PG_MAJOR" "$conf" "$conf/conf.d"
install_declared

if was_changed data_directory || was_changed shithub.conf || ! systemctl is-active --quiet "$unit"; then
  systemctl restart "$unit" || fail "PostgreSQL $PG_MAJOR did not start with the new settings"
elif was_changed pg_hba.conf; then
  systemctl reload "$unit" || fail "PostgreSQL did not reload pg_hba.conf"
fi
for _ in $(seq 1 60); do
  runuser -u postgres -- pg_isready -q && break
  sleep 1
done
runuser -u postgres -- pg_isready -q || fail "PostgreSQL is not accepting connections"
if ! runuser -u postgres -- psql -X -q -d postgres -f - <"$STAGE/roles.sql" >/dev/null 2>"$STAGE/roles.err"; then
  # Its statements carry the passwords: show the error lines only, every quoted token masked.
  grep -E '(ERROR|FATAL):' "$STAGE/roles.err" | sed -E "s/'[^']*'/'...'/g; s/\"[^\"]*\"/\"...\"/g" | head -n 3 >&2 || true
  fail "creating the roles, the database or its extensions failed"
fi
log "ready; data in $DATA_DIR; changed: ${changed[*]:-nothing}"

# shithub-postgres-metrics-setup: Postgres's metrics on the db host (after templates/scripts/lib/
# setup.sh and the db step): the database role prometheus, which may read statistics and nothing
# else (pg_monitor), and Debian's postgres exporter logging in as it over the local socket (peer).

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
# The db host's backup setup runs beside this step and restarts PostgreSQL when it turns WAL
# archiving on (the first up): each statement is idempotent, and tried again for a while when the
# server is not there.
as_postgres() {
  local try
  for try in $(seq 30); do
    runuser -u postgres -- psql -X -d postgres "$@" && return 0
    [ "$try" = 30 ] || sleep 1
  done
  return 1
}
had_role=$(as_postgres -At -c "SELECT count(*) FROM pg_roles WHERE rolname = 'prometheus'") ||
  fail "could not ask Postgres for the database role prometheus"
as_postgres -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'prometheus') THEN CREATE ROLE prometheus LOGIN; END IF;
END \$\$;
GRANT pg_monitor TO prometheus;" >/dev/null || fail "could not create the database role prometheus"

install_declared

systemctl enable prometheus-postgres-exporter.service >/dev/null 2>&1 || fail "could not enable the postgres exporter"
# The exporter the package started at boot logged in before the role existed: it starts again with it.
if [ "$had_role" != 1 ] || was_changed prometheus-postgres-exporter || ! systemctl is-active --quiet prometheus-postgres-exporter.service; then
  systemctl restart prometheus-postgres-exporter.service || fail "the postgres exporter did not start"
fi
log "exporting; changed: ${changed[*]:-nothing}"

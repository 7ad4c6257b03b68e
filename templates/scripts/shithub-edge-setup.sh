# shithub-edge-setup: Caddy in front of shithubd (after templates/scripts/lib/setup.sh). The new
# Caddyfile is validated by Caddy itself before it replaces the old one; Caddy reloads only when
# its file changed, so an unchanged edge keeps every connection.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
scratch=$(mktemp -d)
HOME=$scratch XDG_DATA_HOME=$scratch XDG_CONFIG_HOME=$scratch caddy validate --adapter caddyfile --config "$STAGE/Caddyfile" >"$scratch/validate.log" 2>&1 ||
  { tail -n 5 "$scratch/validate.log" >&2; rm -rf -- "$scratch"; fail "caddy validate rejected the new Caddyfile; the old one stays"; }
rm -rf -- "$scratch"

# Where the running Caddy's admin API listens: where the file it loaded says (Caddy's default before
# the file named a socket). A reload goes there, though the new file may move it.
running_admin=localhost:2019
if [ -f /etc/caddy/Caddyfile ]; then
  named=$(sed -n 's/^[[:space:]]*admin[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' /etc/caddy/Caddyfile | head -n 1)
  [ -z "$named" ] || running_admin=$named
fi

install_declared

systemctl enable caddy.service >/dev/null 2>&1 || fail "could not enable caddy"
if ! systemctl is-active --quiet caddy.service; then
  systemctl start caddy.service || fail "caddy did not start"
elif was_changed Caddyfile; then
  caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile --address "$running_admin" --force >/dev/null 2>&1 ||
    fail "caddy did not reload the new Caddyfile (admin API at $running_admin)"
fi
log "serving; changed: ${changed[*]:-nothing}"

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

install_declared

systemctl enable caddy.service >/dev/null 2>&1 || fail "could not enable caddy"
if ! systemctl is-active --quiet caddy.service; then
  systemctl start caddy.service || fail "caddy did not start"
elif was_changed Caddyfile; then
  systemctl reload caddy.service || fail "caddy did not reload the new Caddyfile"
fi
log "serving; changed: ${changed[*]:-nothing}"

# shithub-dr-sync-setup: the DR copy on the monitoring host (after templates/scripts/lib/setup.sh):
# its own user, the DR-sync key, its script and timer.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
getent passwd shithub-dr >/dev/null || useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin shithub-dr
install -d -m 0750 -o root -g shithub-dr /etc/shithub-dr
install_declared
if was_changed shithub-dr-sync.service || was_changed shithub-dr-sync.timer; then systemctl daemon-reload; fi
systemctl enable --now shithub-dr-sync.timer >/dev/null 2>&1 || fail "the DR sync timer did not start"
log "DR copies four times a day; changed: ${changed[*]:-nothing}"

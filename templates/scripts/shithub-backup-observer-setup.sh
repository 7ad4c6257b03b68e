# shithub-backup-observer-setup: shithubd's backup heartbeats on a web host (after
# templates/scripts/lib/setup.sh): the observer's read-only key, its script and timer.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
install -d -m 0750 -o root -g shithub /etc/shithub-observer
install_declared
if was_changed shithub-backup-heartbeat.service || was_changed shithub-backup-heartbeat.timer; then systemctl daemon-reload; fi
systemctl enable --now shithub-backup-heartbeat.timer >/dev/null 2>&1 || fail "the heartbeat timer did not start"
log "heartbeats read every 10 minutes; changed: ${changed[*]:-nothing}"

# shithub-app-recovery-setup: while shithubd:recovery is set, the app host's part of a recovery
# (after templates/scripts/lib/setup.sh): the key that reads the lost environment's repositories
# and objects, and the scripts that bring them back. Nothing runs: `npm run recover` does.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
install -d -m 0755 -o root -g root /etc/shithub-recovery
install_declared
log "ready for npm run recover; changed: ${changed[*]:-nothing}"

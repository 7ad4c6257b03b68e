# shithub-db-recovery-setup: while shithubd:recovery is set, the db host's part of a recovery (after
# templates/scripts/lib/setup.sh): the key that reads the lost environment's WAL bucket and where
# it is, for shithub-recover-db. Nothing runs: `npm run recover` does, with an identity.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
install -d -m 0755 -o root -g root /etc/shithub-recovery
install_declared
log "ready for npm run recover; changed: ${changed[*]:-nothing}"

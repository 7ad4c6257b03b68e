# shithub-access-setup: root's authorized_keys on any host (after templates/scripts/lib/setup.sh).
# The step connects with the key it keeps, so it can never lock the deploy out; sshd reads the
# file at each login, so nothing reloads.

# No packages: PACKAGES is empty for this role.
: "${STAGE:?}" "${PACKAGES?}" "${INSTALLS:?}"

install -d -m 0700 -o root -g root /root/.ssh
install_declared
log "root's keys: $(grep -c '^from=' /root/.ssh/authorized_keys); changed: ${changed[*]:-nothing}"

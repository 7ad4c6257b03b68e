# shithub-access-setup: root's authorized_keys on any host (after templates/scripts/lib/setup.sh).
# The step connects with the key it keeps, so it can never lock the deploy out; sshd reads the
# file at each login, so nothing reloads for it.

# No packages: PACKAGES is empty for this role.
: "${STAGE:?}" "${PACKAGES?}" "${INSTALLS:?}"

install -d -m 0700 -o root -g root /root/.ssh
install_declared
# fail2ban (a base package on every host) rereads its jails: the admin networks are never banned.
# (Not yet running on a host whose first boot is still installing it: it reads the file when it starts.)
if was_changed fail2ban-admins.conf && systemctl is-active --quiet fail2ban.service; then
  systemctl reload-or-restart fail2ban.service || fail "fail2ban did not take the admin networks"
fi
log "root's keys: $(grep -c '^from=' /root/.ssh/authorized_keys); changed: ${changed[*]:-nothing}"

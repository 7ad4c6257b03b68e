# shithub-repos-backup-setup: the repositories' backup on an app host (after
# templates/scripts/lib/setup.sh): its own user, restic's settings, the scripts and the daily
# timer; and the restic repository in its bucket, made once.

: "${STAGE:?}" "${PACKAGES:?}" "${INSTALLS:?}" "${HOLD:?}"

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES
getent passwd shithub-repos-backup >/dev/null ||
  useradd --system --home-dir /var/lib/shithub-repos-backup --no-create-home --shell /usr/sbin/nologin shithub-repos-backup
install -d -m 0755 /etc/shithub-repos-backup
install -d -m 0755 -o shithub-repos-backup -g shithub-repos-backup /var/lib/shithub-repos-backup
install_declared
if was_changed shithub-repos-backup.service || was_changed shithub-repos-backup.timer || was_changed shithub-repos-backup-failed.service ||
  was_changed shithub-repos-drill.service || was_changed shithub-repos-drill.timer || was_changed shithub-repos-drill-failed.service; then
  systemctl daemon-reload
fi

# The repository exists once, whatever host made it: init only where there is no config to read.
restic_as_backup() {
  # shellcheck disable=SC1091 # installed just above
  (set -a && . /etc/shithub-repos-backup/restic.env && set +a && runuser -u shithub-repos-backup -- restic --no-cache "$@")
}
if ! restic_as_backup cat config >/dev/null 2>"$STAGE/restic.err"; then
  grep -qi 'unable to open config file\|does not exist\|Is there a repository at the following location' "$STAGE/restic.err" ||
    fail "the restic repository cannot be read: $(head -n 1 "$STAGE/restic.err")"
  restic_as_backup init >/dev/null 2>"$STAGE/restic.err" || fail "restic init: $(head -n 1 "$STAGE/restic.err")"
  changed+=(restic-repository)
fi
# A pending recovery (shithubd:recovery): a snapshot of the empty volume would become the newest.
if [ "$HOLD" = 1 ]; then
  systemctl disable --now shithub-repos-backup.timer >/dev/null 2>&1 || true
  log "held until the recovery is done (shithubd:recovery); changed: ${changed[*]:-nothing}"
  exit 0
fi
systemctl enable --now shithub-repos-backup.timer >/dev/null 2>&1 || fail "the repository backup timer did not start"
# The weekly drill of the newest snapshot; its staleness alert counts from when it was first scheduled.
install -d -m 0755 /var/lib/shithub-drill /var/lib/shithub-drill/repos
[ -s /var/lib/shithub-drill/repos/scheduled ] || date -u +%s >/var/lib/shithub-drill/repos/scheduled
systemctl enable --now shithub-repos-drill.timer >/dev/null 2>&1 || fail "the repository drill timer did not start"
log "repositories snapshotted daily; changed: ${changed[*]:-nothing}"

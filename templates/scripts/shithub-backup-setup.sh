# shithub-backup-setup: installs the backup scripts, units, settings and (on the database host)
# WAL archiving (after templates/scripts/lib/setup.sh); the header sets ROLE_DUMP / ROLE_WAL
# (1 or 0), and DRILL (1 on the host that dumps: the weekly drill's identity, its timer, and the
# identity canary sealed to the recipients whenever they change). Idempotent: unchanged files are left alone; PostgreSQL is restarted only when its
# archive settings change.

: "${STAGE:?}" "${ROLE_DUMP:?}" "${ROLE_WAL:?}" "${HOLD_DUMP:?}" "${HOLD_WAL:?}" "${PACKAGES:?}"
DRILL=${DRILL:-0}

# shellcheck disable=SC2086 # a list of package names
ensure_packages $PACKAGES

settings_group=root
# The WAL archive command runs as postgres and reads the settings and the WAL key, never the dump key.
if getent group postgres >/dev/null; then settings_group=postgres; fi

# The dump runs as its own user, which owns the dump key, the password file and the local dumps.
dump_user=root
if [ "$ROLE_DUMP" = 1 ]; then
  getent passwd shithub-backup >/dev/null ||
    useradd --system --home-dir /var/lib/shithub-backup --no-create-home --shell /usr/sbin/nologin shithub-backup
  dump_user=shithub-backup
fi

# The PITR drill's scratch server runs as a user of its own: never postgres, whose files are the live cluster's.
if [ "$ROLE_WAL" = 1 ]; then
  getent passwd shithub-drill >/dev/null ||
    useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin shithub-drill
fi

targets=(
  # libpq uses a password file only when its owner alone may read it.
  "pgpass /etc/shithub-backup/pgpass 0600 $dump_user:$dump_user"
  "backup.env /etc/shithub-backup/backup.env 0644 root:root"
  "recipients /etc/shithub-backup/recipients 0644 root:root"
  "shithub-backup-daily /usr/local/bin/shithub-backup-daily 0755 root:root"
  "shithub-restore-drill /usr/local/bin/shithub-restore-drill 0755 root:root"
  "shithub-pitr-drill /usr/local/bin/shithub-pitr-drill 0755 root:root"
  "shithub-base-before /usr/local/bin/shithub-base-before 0755 root:root"
  "shithub-wal-archive /usr/local/bin/shithub-wal-archive 0755 root:root"
  "shithub-wal-restore /usr/local/bin/shithub-wal-restore 0755 root:root"
  "shithub-wal-spool /usr/local/bin/shithub-wal-spool 0755 root:root"
  "shithub-recover-db /usr/local/bin/shithub-recover-db 0755 root:root"
  "shithub-basebackup /usr/local/bin/shithub-basebackup 0755 root:root"
  "shithub-backup.service /etc/systemd/system/shithub-backup.service 0644 root:root"
  "shithub-backup.timer /etc/systemd/system/shithub-backup.timer 0644 root:root"
  "shithub-backup-failed.service /etc/systemd/system/shithub-backup-failed.service 0644 root:root"
  "shithub-basebackup.service /etc/systemd/system/shithub-basebackup.service 0644 root:root"
  "shithub-basebackup.timer /etc/systemd/system/shithub-basebackup.timer 0644 root:root"
  "shithub-backup-canary /usr/local/bin/shithub-backup-canary 0755 root:root"
  "shithub-dump-drill.service /etc/systemd/system/shithub-dump-drill.service 0644 root:root"
  "shithub-dump-drill.timer /etc/systemd/system/shithub-dump-drill.timer 0644 root:root"
  "shithub-dump-drill-failed.service /etc/systemd/system/shithub-dump-drill-failed.service 0644 root:root"
)
# Each key only where its job runs: the dump key for root's dumps, the WAL key for postgres's archiving.
if [ "$ROLE_DUMP" = 1 ]; then targets+=("rclone.conf /etc/shithub-backup/rclone.conf 0600 shithub-backup:shithub-backup"); fi
if [ "$ROLE_WAL" = 1 ]; then targets+=("wal-rclone.conf /etc/shithub-backup/wal-rclone.conf 0640 root:$settings_group"); fi
# The weekly drill's identity: root's alone (the drill runs as root and drops to postgres).
if [ "$DRILL" = 1 ]; then targets+=("drill.key /etc/shithub-backup/drill.key 0600 root:root"); fi

install -d -m 0755 /etc/shithub-backup
install -d -m 0700 -o "$dump_user" -g "$dump_user" /var/backups/shithub
install -d -m 0755 -o "$dump_user" -g "$dump_user" /var/lib/shithub-backup
# Dumps and heartbeats a root job left behind become the dump user's.
chown -R "$dump_user:$dump_user" /var/backups/shithub /var/lib/shithub-backup

for entry in "${targets[@]}"; do
  read -r name path mode owner <<<"$entry"
  install_staged "$name" "$path" "$mode" "$owner"
done

systemctl daemon-reload
timers=()
# A takeover's standby: the live forge still dumps into the same bucket; this host's dump waits.
if [ "$ROLE_DUMP" = 1 ] && [ "$HOLD_DUMP" = 1 ]; then
  systemctl disable --now shithub-backup.timer >/dev/null 2>&1 || true
elif [ "$ROLE_DUMP" = 1 ]; then
  timers+=(shithub-backup.timer)
fi
if [ "$ROLE_WAL" = 1 ]; then
  # A pending recovery: no base backup of the empty cluster may become the newest.
  if [ "$HOLD_WAL" = 1 ]; then
    systemctl disable --now shithub-basebackup.timer >/dev/null 2>&1 || true
  else
    timers+=(shithub-basebackup.timer)
  fi
  restart_pg=0
  for conf in /etc/postgresql/*/main/conf.d; do
    [ -d "$conf" ] || continue
    claim_dirs postgres /etc/postgresql "$(dirname "$(dirname "$conf")")" "$(dirname "$conf")" "$conf"
    install_staged shithub-archive.conf "$conf/shithub-archive.conf" 0644 root:root
    if was_changed shithub-archive.conf; then restart_pg=1; fi
  done
  if [ "$restart_pg" = 1 ]; then
    systemctl restart postgresql.service || fail "PostgreSQL did not restart with WAL archiving"
  fi
fi
# The weekly restore drill, where the drill's identity is (not in a takeover's standby: the newest
# dump in the bucket is then the live forge's, sealed to its recipients).
if [ "$DRILL" = 1 ] && [ "$HOLD_DUMP" = 0 ]; then
  timers+=(shithub-dump-drill.timer)
  # Since when the drill is scheduled: its staleness alert counts from here until a first success.
  install -d -m 0755 /var/lib/shithub-drill /var/lib/shithub-drill/dump
  [ -s /var/lib/shithub-drill/dump/scheduled ] || date -u +%s >/var/lib/shithub-drill/dump/scheduled
elif systemctl is-enabled --quiet shithub-dump-drill.timer 2>/dev/null; then
  systemctl disable --now shithub-dump-drill.timer >/dev/null 2>&1 || true
fi
if [ "${#timers[@]}" -gt 0 ]; then systemctl enable --now "${timers[@]}" >/dev/null 2>&1 || fail "could not enable ${timers[*]}"; fi
log "installed; changed: ${changed[*]:-nothing}; timers: ${timers[*]:-none}"
# A canary sealed to the recipients as they are now, whenever they change (or none was sealed yet).
if [ "$DRILL" = 1 ] && { was_changed recipients || [ ! -s /var/lib/shithub-canary/sealed ]; }; then
  install -d -m 0755 /var/lib/shithub-canary
  key=$(/usr/local/bin/shithub-backup-canary seal 2>"$STAGE/canary.err") || fail "could not seal the identity canary: $(tail -n 1 "$STAGE/canary.err")"
  printf '%s %s\n' "$(date -u +%s)" "$key" >/var/lib/shithub-canary/sealed
  # Since when there is a canary to open: the alert on unproven identities counts from here until a first proof.
  [ -s /var/lib/shithub-canary/since ] || date -u +%s >/var/lib/shithub-canary/since
  log "identity canary: sealed $key to the recipients"
fi

#!/bin/bash
# What the live forge's Ansible roles did to shithub-app, in their order (base, postgres, shithubd,
# caddy, backup), reduced to its effects. Files it installs were written by cloud-init beside it,
# under /root/legacy/. Runs once, as root, at first boot.
set -euxo pipefail
L=/root/legacy

# base: users and the data directory (on the real box the shithub-data volume, bind-mounted at /data).
groupadd --system shithub
useradd --system --gid shithub --home-dir /var/lib/shithub --create-home --shell /usr/sbin/nologin shithub
useradd --system --home-dir /var/lib/shithub-ssh --create-home --shell /usr/sbin/nologin shithub-ssh
useradd --system --home-dir /var/lib/git --create-home --shell "$(command -v git-shell)" --groups shithub git
passwd -d git
install -d -m 0755 /data
install -d -m 2775 -o shithub -g shithub /data/repos /data/tmp
install -d -m 0750 -o shithub -g shithub /var/lib/shithub
install -d -m 0755 /var/lib/git/git-shell-commands
install -m 0755 "$L/git-shell-shithubd" /var/lib/git/git-shell-commands/shithubd
install -m 0644 "$L/sshd_config" /etc/ssh/sshd_config
systemctl restart ssh

# postgres: the cluster moved onto the volume (the one-time runbook move), WAL archived.
major=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)
conf=/etc/postgresql/$major/main
# The cluster's own unit: stopping it returns once the server is down (postgresql.service does not wait).
systemctl stop "postgresql@$major-main"
install -d -m 0700 -o postgres -g postgres /data/pgdata
cp -a "/var/lib/postgresql/$major/main/." /data/pgdata/
sed -i "s|^data_directory = .*|data_directory = '/data/pgdata'|" "$conf/postgresql.conf"
install -m 0755 "$L/shithub-pg-archive" /usr/local/bin/shithub-pg-archive
install -d -m 0750 -o postgres -g postgres /var/lib/shithub-legacy-wal
install -o postgres -g postgres -m 0644 "$L/99_shithub_archive.conf" "$conf/conf.d/99_shithub_archive.conf"
systemctl start "postgresql@$major-main"
password=$(cat "$L/db-password")
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE shithub LOGIN PASSWORD %L', :'pw')\gexec
CREATE DATABASE shithub OWNER shithub ENCODING 'UTF8';
SQL
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -d shithub -c 'CREATE EXTENSION IF NOT EXISTS citext'

# shithubd: binary, env files, units; the web unit migrates as its ExecStartPre.
install -m 0755 "$L/shithubd" /usr/local/bin/shithubd
install -m 0755 "$L/shithub-ssh-authkeys" /usr/local/bin/shithub-ssh-authkeys
install -d -m 0750 -o shithub -g shithub /etc/shithub
install -m 0640 -o shithub -g shithub "$L/web.env" /etc/shithub/web.env
install -m 0600 -o shithub -g shithub "$L/worker.env" /etc/shithub/worker.env
for unit in shithubd-web.service shithubd-worker.service shithubd-cron.service shithubd-cron.timer; do
  install -m 0644 "$L/$unit" "/etc/systemd/system/$unit"
done
systemctl daemon-reload
systemctl enable --now shithubd-web.service shithubd-worker.service shithubd-cron.timer

# caddy
install -m 0644 "$L/Caddyfile" /etc/caddy/Caddyfile
install -d -m 0755 -o caddy -g caddy /var/log/caddy
systemctl reload caddy || systemctl restart caddy

# backup: root's crontab (the jobs are cron's on this box, not systemd's).
for job in shithub-backup-daily shithub-spaces-sync shithub-verify-wal-archive shithub-aide-check; do
  install -m 0755 "$L/legacy-job" "/usr/local/bin/$job"
done
install -d -m 0755 /usr/local/share/shithub/restore-drill
install -m 0755 "$L/legacy-job" /usr/local/share/shithub/restore-drill/run.sh
crontab "$L/root.crontab"
touch /var/lib/shithub-legacy-ready

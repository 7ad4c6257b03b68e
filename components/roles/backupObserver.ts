import { renderTemplate, readTemplate } from "../templates";
import { SHITHUB_UNIT_PARTIALS } from "../release/units";
import type { RoleModule } from "./role";

/**
 * shithubd's backup heartbeats on every web host: shithubd's /metrics reports
 * shithub_backup_last_success_seconds from two files under /var/lib/shithub, and the dumps are
 * taken elsewhere, so a timer reads them, as shithub, from the buckets themselves (the newest
 * dump, and the newest in the DR copy) with a key that may only list and read those two buckets.
 */
export const backupObserver: RoleModule = {
  id: "backup-observer",
  summary: "shithubd's backup heartbeats, read from the backups bucket and its DR copy by a read-only key",
  packages: () => ["rclone"],
  openings: [],
  files: () => [
    { name: "rclone.conf", path: "/etc/shithub-observer/rclone.conf", mode: "0640", owner: "root:shithub" },
    { name: "observer.env", path: "/etc/shithub-observer/observer.env", mode: "0644", owner: "root:root" },
    { name: "shithub-backup-heartbeat", path: "/usr/local/bin/shithub-backup-heartbeat", mode: "0755", owner: "root:root" },
    { name: "shithub-backup-heartbeat.service", path: "/etc/systemd/system/shithub-backup-heartbeat.service", mode: "0644", owner: "root:root" },
    { name: "shithub-backup-heartbeat.timer", path: "/etc/systemd/system/shithub-backup-heartbeat.timer", mode: "0644", owner: "root:root" },
  ],
  step: { name: "backup-observer-setup", after: [] },
};

export interface BackupObserverInputs {
  readonly provider: string;
  readonly endpoint: string;
  readonly drEndpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly backupsBucket: string;
  readonly backupsDrBucket: string;
}

/** The key's rclone config: a secret, sent in the bundle only. */
export function backupObserverSecretFiles(inputs: BackupObserverInputs): Record<string, string> {
  return { "rclone.conf": renderTemplate(readTemplate("backup-observer", "rclone.conf.mustache"), { ...inputs }) };
}

/** The script, its units and its settings: nothing secret. */
export function backupObserverFiles(buckets: { readonly backupsBucket: string; readonly backupsDrBucket: string }): Record<string, string> {
  return {
    "observer.env": renderTemplate(readTemplate("backup-observer", "observer.env.mustache"), { ...buckets }),
    "shithub-backup-heartbeat": readTemplate("scripts", "shithub-backup-heartbeat.sh"),
    "shithub-backup-heartbeat.service": renderTemplate(readTemplate("systemd", "shithub-backup-heartbeat.service.mustache"), {}, SHITHUB_UNIT_PARTIALS),
    "shithub-backup-heartbeat.timer": readTemplate("systemd", "shithub-backup-heartbeat.timer.mustache"),
  };
}

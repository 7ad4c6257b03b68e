import { REPOS_RETENTION } from "../backups/buckets";
import { renderTemplate, readTemplate } from "../templates";
import { SHITHUB_UNIT_PARTIALS } from "../release/units";
import type { RoleModule } from "./role";

/**
 * The Git repositories' backup on every app host: a daily restic snapshot of /data/repos
 * (encrypted, deduplicated) into the repos bucket, with a key that reaches that bucket only, by
 * a user of its own that can read the repositories and write none of them.
 */
export const reposBackup: RoleModule = {
  id: "repos-backup",
  summary: "daily encrypted restic snapshots of the Git repositories, consistent with pushes, and their weekly restore drill",
  packages: () => ["restic", "git"],
  openings: [],
  files: () => [
    { name: "restic.env", path: "/etc/shithub-repos-backup/restic.env", mode: "0600", owner: "root:root" },
    { name: "repos-backup.env", path: "/etc/shithub-repos-backup/repos-backup.env", mode: "0644", owner: "root:root" },
    { name: "shithub-repos-backup", path: "/usr/local/bin/shithub-repos-backup", mode: "0755", owner: "root:root" },
    { name: "shithub-repos-drill", path: "/usr/local/bin/shithub-repos-drill", mode: "0755", owner: "root:root" },
    { name: "shithub-repos-verify", path: "/usr/local/bin/shithub-repos-verify", mode: "0755", owner: "root:root" },
    { name: "shithub-repos-backup.service", path: "/etc/systemd/system/shithub-repos-backup.service", mode: "0644", owner: "root:root" },
    { name: "shithub-repos-backup-failed.service", path: "/etc/systemd/system/shithub-repos-backup-failed.service", mode: "0644", owner: "root:root" },
    { name: "shithub-repos-backup.timer", path: "/etc/systemd/system/shithub-repos-backup.timer", mode: "0644", owner: "root:root" },
    // The weekly drill of the newest snapshot (issue 25).
    { name: "shithub-repos-drill.service", path: "/etc/systemd/system/shithub-repos-drill.service", mode: "0644", owner: "root:root" },
    { name: "shithub-repos-drill-failed.service", path: "/etc/systemd/system/shithub-repos-drill-failed.service", mode: "0644", owner: "root:root" },
    { name: "shithub-repos-drill.timer", path: "/etc/systemd/system/shithub-repos-drill.timer", mode: "0644", owner: "root:root" },
  ],
  step: { name: "repos-backup-setup", after: [] },
};

export interface ReposBackupInputs {
  /** The S3 endpoint as a URL (https://<region>.digitaloceanspaces.com). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly password: string;
}

/** restic's settings: the repository, its password and the bucket's key (a secret, sent in the bundle only). */
export function reposBackupSecretFiles(inputs: ReposBackupInputs): Record<string, string> {
  return { "restic.env": renderTemplate(readTemplate("repos-backup", "restic.env.mustache"), { ...inputs }) };
}

/** The setup's settings: held while a recovery is pending (a snapshot of the empty volume would become the newest). */
export function reposBackupVars(recoveryPending: boolean): Record<string, number> {
  return { HOLD: recoveryPending ? 1 : 0 };
}

/** The scripts, units and retention: nothing secret. */
export function reposBackupFiles(): Record<string, string> {
  const unit = (name: string) => renderTemplate(readTemplate("systemd", `${name}.mustache`), {}, SHITHUB_UNIT_PARTIALS);
  return {
    "repos-backup.env": renderTemplate(readTemplate("repos-backup", "repos-backup.env.mustache"),
      { keepDaily: REPOS_RETENTION.daily, keepWeekly: REPOS_RETENTION.weekly, keepMonthly: REPOS_RETENTION.monthly }),
    "shithub-repos-backup": readTemplate("scripts", "shithub-repos-backup.sh"),
    "shithub-repos-drill": readTemplate("scripts", "shithub-repos-drill.sh"),
    "shithub-repos-verify": readTemplate("scripts", "shithub-repos-verify.sh"),
    "shithub-repos-backup.service": unit("shithub-repos-backup.service"),
    "shithub-repos-backup-failed.service": unit("shithub-repos-backup-failed.service"),
    "shithub-repos-backup.timer": readTemplate("systemd", "shithub-repos-backup.timer.mustache"),
    "shithub-repos-drill.service": unit("shithub-repos-drill.service"),
    "shithub-repos-drill-failed.service": unit("shithub-repos-drill-failed.service"),
    "shithub-repos-drill.timer": readTemplate("systemd", "shithub-repos-drill.timer.mustache"),
  };
}

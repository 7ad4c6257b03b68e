import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { stagedBundle } from "./bundle";
import { quoteForSystemd } from "./envfile";
import { renderTemplate, TEMPLATES_DIR } from "./templates";

/** Where the backup host's buckets live and how rclone must talk to them. */
export interface SpacesTarget {
  /** rclone's S3 provider: DigitalOcean for Spaces (Ceph in tests: the same server software). */
  readonly provider: string;
  readonly endpoint: string;
  readonly drEndpoint: string;
  readonly buckets: { readonly backups: string; readonly backupsDr: string; readonly wal: string; readonly walDr: string };
}

export interface BackupHostInputs {
  readonly host: string;
  /** Runs the daily dump, the DR sync and the restore drill. */
  readonly dump: boolean;
  /** Runs PostgreSQL: WAL archiving and base backups. */
  readonly wal: boolean;
  /** PostgreSQL runs on this host (order the dump after it). */
  readonly dbLocal: boolean;
  readonly databaseUrl: string;
  readonly spaces: SpacesTarget;
  readonly backupKey: { readonly accessKey: string; readonly secretKey: string };
  readonly drKey: { readonly accessKey: string; readonly secretKey: string };
}

const read = (...path: string[]): string => readFileSync(join(TEMPLATES_DIR, ...path), "utf8");
const SCRIPTS = ["shithub-backup-daily", "shithub-restore-drill", "shithub-dr-sync", "shithub-wal-archive", "shithub-basebackup"] as const;
const UNITS = ["shithub-backup.service", "shithub-backup.timer", "shithub-backup-failed.service", "shithub-dr-sync.service",
  "shithub-dr-sync.timer", "shithub-basebackup.service", "shithub-basebackup.timer"] as const;

/** Every file the backup setup installs, by the name the setup script knows it by. */
export function backupHostFiles(inputs: BackupHostInputs): Record<string, string> {
  const { spaces } = inputs;
  const files: Record<string, string> = {
    "backup.env": renderTemplate(read("backup", "backup.env.mustache"), {
      databaseUrl: quoteForSystemd(inputs.databaseUrl),
      backupsBucket: spaces.buckets.backups,
      walBucket: spaces.buckets.wal,
      backupsDrBucket: spaces.buckets.backupsDr,
      walDrBucket: spaces.buckets.walDr,
    }),
    "rclone.conf": renderTemplate(read("backup", "rclone.conf.mustache"), {
      provider: spaces.provider,
      endpoint: spaces.endpoint,
      drEndpoint: spaces.drEndpoint,
      backupAccessKey: inputs.backupKey.accessKey,
      backupSecretKey: inputs.backupKey.secretKey,
      drAccessKey: inputs.drKey.accessKey,
      drSecretKey: inputs.drKey.secretKey,
    }),
    "shithub-archive.conf": read("postgresql", "shithub-archive.conf.mustache"),
  };
  for (const script of SCRIPTS) files[script] = read("scripts", `${script}.sh`);
  for (const unit of UNITS) {
    files[unit] = Mustache.render(read("systemd", `${unit}.mustache`), { dbLocal: inputs.dbLocal }, {}, { escape: (s: string) => s });
  }
  return files;
}

/** The bundle of the backup setup step of one host. */
export function backupSetupBundle(inputs: BackupHostInputs): string {
  return stagedBundle(
    `shithub-infra backup setup on ${inputs.host}`,
    { ROLE_DUMP: inputs.dump ? 1 : 0, ROLE_WAL: inputs.wal ? 1 : 0 },
    backupHostFiles(inputs),
    read("scripts", "shithub-backup-setup.sh"),
  );
}

/** The command of the pre-deploy backup: a dump tagged with the release, checked in the bucket. */
export function preReleaseBackupCommand(version: string): string {
  return `/usr/local/bin/shithub-backup-daily --tag ${version}`;
}

/** The command of the post-deploy drill (staging): dump the new schema, restore it into a scratch server. */
export function postReleaseDrillCommand(version: string): string {
  return `set -euo pipefail; key=$(/usr/local/bin/shithub-backup-daily --tag ${version}-post | tail -n 1); /usr/local/bin/shithub-restore-drill "$key"`;
}

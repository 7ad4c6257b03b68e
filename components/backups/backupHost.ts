import { PGPASS_PATH, splitPassword } from "./pgpass";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { setupBundle } from "../roles/setupBundle";
import { quoteForSystemd } from "../env/envFile";
import { JOB_PARTIALS } from "../roles/jobPartials";
import { renderTemplate, TEMPLATES_DIR } from "../templates";
import type { Platform } from "../hosts/platform";

/** Where the backup host's buckets live and how rclone must talk to them. */
export interface SpacesTarget {
  /** rclone's S3 provider: DigitalOcean for Spaces (Ceph in tests: the same server software). */
  readonly provider: string;
  readonly endpoint: string;
  readonly buckets: { readonly backups: string; readonly wal: string };
}

export interface KeyPair {
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface BackupHostInputs {
  readonly host: string;
  /** Runs the daily dump, the DR sync and the restore drill. */
  readonly dump: boolean;
  /** Runs PostgreSQL: WAL archiving and base backups. */
  readonly wal: boolean;
  /** A takeover's standby: the live forge still dumps into the same bucket, so this host's daily dump waits for the window. */
  readonly holdDump?: boolean;
  /**
   * A recovery is pending (shithubd:recovery): the cluster is empty until the lost one replaces it,
   * so it archives nothing and takes no base backup (neither may mix with the lost one's in the bucket).
   */
  readonly holdWal?: boolean;
  /** PostgreSQL runs on this host (order the dump after it). */
  readonly dbLocal: boolean;
  readonly databaseUrl: string;
  /** The image's PostgreSQL major version: the restore drill's scratch server matches the db host's. */
  readonly platform: Platform;
  readonly spaces: SpacesTarget;
  /** age recipients every dump, base backup and WAL segment is encrypted to on the host: the operators' (identities on no host), then the drill's. */
  readonly recipients: readonly string[];
  /** The dump key, on the host that dumps; the WAL key, on the db host: each host holds its own jobs' keys only. */
  readonly dumpKey?: KeyPair;
  readonly walKey?: KeyPair;
  /**
   * The weekly drill's age identity, on the host that dumps only (its recipient is one of
   * `recipients`): the scheduled restore drill opens the newest dump with it, and the identity
   * canary is checked with it. Without it the host has no scheduled drill and seals no canary.
   */
  readonly drillIdentity?: string;
}

const read = (...path: string[]): string => readFileSync(join(TEMPLATES_DIR, ...path), "utf8");
const SCRIPTS = ["shithub-backup-daily", "shithub-restore-drill", "shithub-pitr-drill", "shithub-base-before", "shithub-wal-archive", "shithub-wal-restore", "shithub-wal-spool", "shithub-basebackup", "shithub-recover-db", "shithub-backup-canary"] as const;
const UNITS = ["shithub-backup.service", "shithub-backup.timer", "shithub-backup-failed.service", "shithub-basebackup.service", "shithub-basebackup.timer", "shithub-dump-drill.service", "shithub-dump-drill.timer", "shithub-dump-drill-failed.service"] as const;

/** The sandboxes: shithubd's for the jobs with a user of their own, the root jobs' for the base backup. */


/** Where the setup script installs each file (its `targets`; the archive settings go to every cluster's conf.d). */
export const BACKUP_FILE_PATHS: Readonly<Record<string, string>> = {
  pgpass: PGPASS_PATH,
  "backup.env": "/etc/shithub-backup/backup.env",
  recipients: "/etc/shithub-backup/recipients",
  "rclone.conf": "/etc/shithub-backup/rclone.conf",
  "wal-rclone.conf": "/etc/shithub-backup/wal-rclone.conf",
  ...Object.fromEntries(SCRIPTS.map((s) => [s, `/usr/local/bin/${s}`])),
  ...Object.fromEntries(UNITS.map((u) => [u, `/etc/systemd/system/${u}`])),
  // Ubuntu 24.04's cluster; the setup script installs it into every cluster's conf.d.
  "shithub-archive.conf": "/etc/postgresql/16/main/conf.d/shithub-archive.conf",
  // The weekly drill's identity: root's alone, on the host that dumps (DRILL_IDENTITY_FILE).
  "drill.key": "/etc/shithub-backup/drill.key",
};

/** The file the drill's identity is in: on the host that dumps, with the dump key; nowhere else. */
export const DRILL_IDENTITY_FILE = "drill.key";

/** Postgres's archive_timeout: a segment with any WAL in it is archived within this; the WAL alert allows two. */
export const WAL_ARCHIVE_TIMEOUT_SECONDS = 60;

/** Every file the backup setup installs, by the name the setup script knows it by. */
export function backupHostFiles(inputs: BackupHostInputs): Record<string, string> {
  return { ...backupSecretFiles(inputs), ...backupStaticFiles(inputs.dbLocal, inputs.recipients, inputs.holdWal === true) };
}

/** The scripts, units, archive settings and the age recipients: no secret in them. */
export function backupStaticFiles(dbLocal: boolean, recipients: readonly string[], walHeld = false): Record<string, string> {
  const files: Record<string, string> = {
    "shithub-archive.conf": renderTemplate(read("postgresql", "shithub-archive.conf.mustache"), { archiveTimeoutSeconds: WAL_ARCHIVE_TIMEOUT_SECONDS, held: walHeld }),
    recipients: renderTemplate(read("backup", "recipients.mustache"), { recipients: recipients.map((r) => ({ r })) }),
  };
  for (const script of SCRIPTS) files[script] = read("scripts", `${script}.sh`);
  for (const unit of UNITS) {
    files[unit] = Mustache.render(read("systemd", `${unit}.mustache`), { dbLocal }, JOB_PARTIALS, { escape: (s: string) => s });
  }
  return files;
}

/** The file each job's key is in: a host gets the file of its own jobs only. */
export const KEY_FILES = { dump: "rclone.conf", wal: "wal-rclone.conf" } as const;

/** The settings and the rclone configs: the database URL and the host's own scoped keys (a file per key, each only where its job runs). */
export function backupSecretFiles(inputs: BackupHostInputs): Record<string, string> {
  const { spaces } = inputs;
  // The password goes to a pgpass file, never into pg_dump's argv (visible to every process in ps).
  const database = splitPassword(inputs.databaseUrl);
  const rcloneConf = (template: string, key: KeyPair) => renderTemplate(read("backup", template), { provider: spaces.provider, endpoint: spaces.endpoint, ...key });
  return {
    pgpass: database.pgpass,
    "backup.env": renderTemplate(read("backup", "backup.env.mustache"), {
      databaseUrl: quoteForSystemd(database.url),
      pgpassFile: PGPASS_PATH,
      backupsBucket: spaces.buckets.backups,
      walBucket: spaces.buckets.wal,
    }),
    ...(inputs.dumpKey !== undefined ? { [KEY_FILES.dump]: rcloneConf("rclone.conf.mustache", inputs.dumpKey) } : {}),
    ...(inputs.walKey !== undefined ? { [KEY_FILES.wal]: rcloneConf("wal-rclone.conf.mustache", inputs.walKey) } : {}),
    ...(inputs.drillIdentity !== undefined ? { [DRILL_IDENTITY_FILE]: drillIdentityFile(inputs.drillIdentity) } : {}),
  };
}

/** The drill's identity as age-keygen writes one, saying what it is for. */
export function drillIdentityFile(identity: string): string {
  return [
    "# Rendered by shithub-infra: the weekly restore drill's age identity (generated by the program, kept",
    "# in its state as a secret). Only shithub-dump-drill.service reads it; its recipient is in recipients.",
    identity,
    "",
  ].join("\n");
}

/**
 * What dumping, archiving and the restore drill need: pg_dump, rclone, and the server binaries of
 * the db host's major version for the drill's scratch server (on a host without the db role the
 * user data keeps the package from creating a cluster of its own).
 */
export function backupPackages(platform: Platform): string[] {
  return ["postgresql-client", `postgresql-${platform.postgresMajor}`, "rclone", "age"];
}

/** The bundle of the backup setup step of one host. */
export function backupSetupBundle(inputs: BackupHostInputs): string {
  return setupBundle("backup-setup", inputs.host, backupPackages(inputs.platform), {
    ROLE_DUMP: inputs.dump ? 1 : 0, ROLE_WAL: inputs.wal ? 1 : 0, HOLD_DUMP: inputs.holdDump === true ? 1 : 0, HOLD_WAL: inputs.holdWal === true ? 1 : 0,
    DRILL: inputs.dump && inputs.drillIdentity !== undefined ? 1 : 0,
  }, backupHostFiles(inputs));
}

/** The command of the pre-deploy backup: a dump tagged with the release, checked in the bucket. */
export function preReleaseBackupCommand(version: string): string {
  return `/usr/local/bin/shithub-backup-daily --tag ${version}`;
}

/**
 * The command of the post-deploy drill (staging): dump the new schema, restore it into a scratch
 * server. The bucket's copy is sealed to the operators' recipients, so the drill restores the
 * host's own copy of the same dump.
 */
export function postReleaseDrillCommand(version: string): string {
  return `set -euo pipefail; key=$(/usr/local/bin/shithub-backup-daily --tag ${version}-post | tail -n 1); /usr/local/bin/shithub-restore-drill --local "$(basename "$key" .age)"`;
}

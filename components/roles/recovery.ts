import { renderTemplate, readTemplate } from "../templates";
import type { RoleModule } from "./role";
import type { RecoveryConfig } from "../recovery/recoveryConfig";
import { spacesEndpoint } from "../backups/buckets";

/**
 * Each role's files have names of their own: one host can hold both roles (staging's one host
 * holds every role), and the db host's key file is postgres's to read, the app host's root's alone.
 *
 * A recovery's tools and its read-only key to the lost environment's buckets, on the two hosts
 * that take its data back while shithubd:recovery is set: the db host (the cluster, from the
 * base backups and WAL) and the app host (the repositories, from restic, and shithubd's objects).
 * Run by `npm run recover` (components/recovery/recovery.ts); nothing here runs on its own.
 */
export const dbRecovery: RoleModule = {
  id: "db-recovery",
  summary: "while shithubd:recovery is set: the lost environment's base backups and WAL, read with a key that reads only them",
  packages: () => ["rclone", "age", "zstd"],
  openings: [],
  files: () => [
    // PostgreSQL's restore_command reads it as postgres.
    { name: "db-rclone.conf", path: "/etc/shithub-recovery/db-rclone.conf", mode: "0640", owner: "root:postgres" },
    { name: "db.env", path: "/etc/shithub-recovery/db.env", mode: "0644", owner: "root:root" },
  ],
  step: { name: "db-recovery-setup", after: ["db"] },
};

export const appRecovery: RoleModule = {
  id: "app-recovery",
  summary: "while shithubd:recovery is set: the lost environment's repositories (restic) and shithubd's objects, read with a key that reads only them",
  packages: () => ["rclone", "restic", "git"],
  openings: [],
  files: () => [
    { name: "app-rclone.conf", path: "/etc/shithub-recovery/app-rclone.conf", mode: "0600", owner: "root:root" },
    { name: "restic.env", path: "/etc/shithub-recovery/restic.env", mode: "0600", owner: "root:root" },
    { name: "app.env", path: "/etc/shithub-recovery/app.env", mode: "0644", owner: "root:root" },
    { name: "shithub-recover-repos", path: "/usr/local/bin/shithub-recover-repos", mode: "0755", owner: "root:root" },
    { name: "shithub-recover-objects", path: "/usr/local/bin/shithub-recover-objects", mode: "0755", owner: "root:root" },
  ],
  step: { name: "app-recovery-setup", after: ["repos-backup"] },
};

/** What the two hosts read the lost environment with, and where its data goes. */
export interface RecoveryInputs {
  readonly provider: string;
  /** The S3 endpoint of the buckets read, as a URL (https://<region>.digitaloceanspaces.com). */
  readonly sourceUrl: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly buckets: { readonly wal: string; readonly repos: string; readonly objects: string };
  /** recovery_target_time, or unset: the end of the archive. */
  readonly to?: string;
  readonly postgresMajor: number;
  /** This stack's objects bucket and shithubd's key to it: where the objects go. */
  readonly own: { readonly url: string; readonly objects: string; readonly accessKey: string; readonly secretKey: string };
  /** The restic repository's password: the lost environment's (shithubd:reposBackupPassword is kept across a recovery). */
  readonly reposPassword: string;
}

const rcloneRemote = (name: string, provider: string, endpoint: string, accessKey: string, secretKey: string) =>
  ({ name, provider, endpoint, accessKey, secretKey });

/** The recovery as the hosts read it: this stack's recovery config with the keys the program made for it. */
export function recoveryInputs(source: RecoveryConfig, own: { readonly url: string; readonly objects: string; readonly accessKey: string; readonly secretKey: string },
  key: { readonly accessKey: string; readonly secretKey: string }, reposPassword: string, postgresMajor: number): RecoveryInputs {
  return {
    provider: "DigitalOcean",
    sourceUrl: `https://${spacesEndpoint(source.region)}`,
    accessKey: key.accessKey, secretKey: key.secretKey,
    buckets: source.buckets,
    ...(source.to !== undefined ? { to: source.to } : {}),
    postgresMajor,
    own,
    reposPassword,
  };
}

/** The db host's settings: where the WAL is, and the target. */
export function dbRecoveryFiles(inputs: RecoveryInputs): Record<string, string> {
  return {
    "db.env": renderTemplate(readTemplate("recovery", "recovery-db.env.mustache"), { walBucket: inputs.buckets.wal, postgresMajor: inputs.postgresMajor, to: inputs.to ?? "" }),
  };
}

/** The db host's read key. */
export function dbRecoverySecretFiles(inputs: RecoveryInputs): Record<string, string> {
  return {
    "db-rclone.conf": renderTemplate(readTemplate("recovery", "rclone.conf.mustache"), {
      remotes: [rcloneRemote("recovery", inputs.provider, inputs.sourceUrl, inputs.accessKey, inputs.secretKey)],
    }),
  };
}

/** The app host's settings and tools: where the objects come from and go. */
export function appRecoveryFiles(inputs: RecoveryInputs): Record<string, string> {
  const { own } = inputs;
  // Recovering in place from the primaries: the objects are already where shithubd reads them.
  const sameObjects = inputs.buckets.objects === own.objects && inputs.sourceUrl === own.url;
  return {
    "app.env": renderTemplate(readTemplate("recovery", "recovery-app.env.mustache"), {
      objectsSource: `recovery:${inputs.buckets.objects}`, reposSource: `recovery:${inputs.buckets.repos}`, objectsTarget: sameObjects ? "" : `own:${own.objects}`,
    }),
    "shithub-recover-repos": readTemplate("scripts", "shithub-recover-repos.sh"),
    "shithub-recover-objects": readTemplate("scripts", "shithub-recover-objects.sh"),
  };
}

/** The app host's keys: the read key, this stack's objects key, and the restic repository's password. */
export function appRecoverySecretFiles(inputs: RecoveryInputs): Record<string, string> {
  const { own } = inputs;
  return {
    "app-rclone.conf": renderTemplate(readTemplate("recovery", "rclone.conf.mustache"), {
      remotes: [
        rcloneRemote("recovery", inputs.provider, inputs.sourceUrl, inputs.accessKey, inputs.secretKey),
        rcloneRemote("own", inputs.provider, own.url, own.accessKey, own.secretKey),
      ],
    }),
    "restic.env": renderTemplate(readTemplate("recovery", "restic.env.mustache"), {
      endpoint: inputs.sourceUrl, bucket: inputs.buckets.repos, password: inputs.reposPassword, accessKey: inputs.accessKey, secretKey: inputs.secretKey,
    }),
  };
}

import { renderTemplate, readTemplate } from "../templates";
import { SHITHUB_UNIT_PARTIALS } from "../release/units";
import type { RoleModule } from "./role";

/**
 * The DR copy, on the monitoring host: the one host that holds no key to a primary bucket's
 * writes, so a compromised app, db or backup host cannot reach the key that writes the DR
 * copies. It runs as its own user and only ever adds to the copies (shithub-dr-sync.sh).
 */
export const drSync: RoleModule = {
  id: "dr-sync",
  summary: "copies the backup buckets to their DR region, adding only, with the one key that writes there",
  packages: () => ["rclone"],
  openings: [],
  files: () => [
    { name: "rclone.conf", path: "/etc/shithub-dr/rclone.conf", mode: "0640", owner: "root:shithub-dr" },
    { name: "dr-sync.env", path: "/etc/shithub-dr/dr-sync.env", mode: "0644", owner: "root:root" },
    { name: "shithub-dr-sync", path: "/usr/local/bin/shithub-dr-sync", mode: "0755", owner: "root:root" },
    { name: "shithub-dr-sync.service", path: "/etc/systemd/system/shithub-dr-sync.service", mode: "0644", owner: "root:root" },
    { name: "shithub-dr-sync.timer", path: "/etc/systemd/system/shithub-dr-sync.timer", mode: "0644", owner: "root:root" },
  ],
  step: { name: "dr-sync-setup", after: [] },
};

/** The primary buckets and their DR copies, by name. */
export interface DrBuckets {
  readonly backups: string;
  readonly backupsDr: string;
  readonly wal: string;
  readonly walDr: string;
  readonly repos: string;
  readonly reposDr: string;
  readonly objects: string;
  readonly objectsDr: string;
}

export interface DrSyncInputs {
  readonly provider: string;
  readonly endpoint: string;
  readonly drEndpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly buckets: DrBuckets;
}

/** The key's rclone config: a secret, sent in the bundle only. */
export function drSyncSecretFiles(inputs: DrSyncInputs): Record<string, string> {
  const { provider, endpoint, drEndpoint, accessKey, secretKey } = inputs;
  return { "rclone.conf": renderTemplate(readTemplate("dr-sync", "rclone.conf.mustache"), { provider, endpoint, drEndpoint, accessKey, secretKey }) };
}

/** The script, its units and its settings: nothing secret. */
export function drSyncFiles(buckets: DrBuckets): Record<string, string> {
  return {
    "dr-sync.env": renderTemplate(readTemplate("dr-sync", "dr-sync.env.mustache"), { ...buckets }),
    "shithub-dr-sync": readTemplate("scripts", "shithub-dr-sync.sh"),
    "shithub-dr-sync.service": renderTemplate(readTemplate("systemd", "shithub-dr-sync.service.mustache"), {}, SHITHUB_UNIT_PARTIALS),
    "shithub-dr-sync.timer": readTemplate("systemd", "shithub-dr-sync.timer.mustache"),
  };
}

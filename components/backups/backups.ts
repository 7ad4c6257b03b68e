import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { BucketId, BucketPlan } from "./buckets";

export interface ShithubBackupsArgs {
  readonly stack: string;
  readonly buckets: readonly BucketPlan[];
  /** Production: buckets are protected and outlive the stack. */
  readonly production: boolean;
}

/** A Spaces access key limited to some buckets. Its secret half is a secret output (provider-forced). */
export interface ScopedKey {
  readonly accessKey: pulumi.Output<string>;
  readonly secretKey: pulumi.Output<string>;
}

/** Who gets which access: [key name, [bucket, permission][]]. */
const GRANTS: ReadonlyArray<readonly [string, ReadonlyArray<readonly [BucketId, "read" | "readwrite"]>]> = [
  // The db/backup host: dumps and WAL into the primary buckets.
  ["backup", [["backups", "readwrite"], ["wal", "readwrite"]]],
  // The DR sync: reads the primaries, writes the copies.
  ["dr-sync", [["backups", "read"], ["wal", "read"], ["backups-dr", "readwrite"], ["wal-dr", "readwrite"]]],
  // shithubd itself: its runtime objects only.
  ["app", [["objects", "readwrite"]]],
  // The web hosts' backup heartbeats: list (and so read) the dumps and their DR copies, nothing else.
  ["observer", [["backups", "read"], ["backups-dr", "read"]]],
];

export type KeyName = "backup" | "dr-sync" | "app" | "observer";

/**
 * The environment's Spaces buckets and the scoped keys that reach them. Everything here is
 * @pulumi/digitalocean: SpacesBucket covers versioning and lifecycle rules (prefix, expiration,
 * noncurrent versions, aborted multipart uploads), which is all these buckets use, and the
 * @pulumi/aws lifecycle resource times out against Spaces/Ceph (hashicorp/terraform-provider-aws#43333).
 * No stack operation may delete a backup: production buckets are protected and retained, and
 * forceDestroy stays off everywhere, so a non-empty bucket is never deleted.
 */
export class ShithubBackups extends pulumi.ComponentResource {
  readonly buckets: Readonly<Record<BucketId, digitalocean.SpacesBucket>>;
  readonly keys: Readonly<Record<KeyName, ScopedKey>>;

  constructor(name: string, args: ShithubBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Backups", name, {}, opts);
    const buckets = {} as Record<BucketId, digitalocean.SpacesBucket>;
    for (const plan of args.buckets) {
      buckets[plan.id] = new digitalocean.SpacesBucket(plan.name, {
        name: plan.name,
        region: plan.region,
        acl: "private",
        forceDestroy: false,
        versioning: { enabled: plan.versioning },
        lifecycleRules: plan.rules.map((r) => ({
          id: r.id,
          enabled: true,
          prefix: r.prefix,
          ...(r.expirationDays !== undefined ? { expiration: { days: r.expirationDays } } : {}),
          ...(r.noncurrentDays !== undefined ? { noncurrentVersionExpiration: { days: r.noncurrentDays } } : {}),
          ...(r.abortMultipartDays !== undefined ? { abortIncompleteMultipartUploadDays: r.abortMultipartDays } : {}),
        })),
      }, { parent: this, protect: args.production, retainOnDelete: args.production });
    }
    this.buckets = buckets;

    const keys = {} as Record<KeyName, ScopedKey>;
    for (const [who, grants] of GRANTS) {
      const key = new digitalocean.SpacesKey(`shithub-${args.stack}-${who}`, {
        name: `shithub-${args.stack}-${who}`,
        grants: grants.map(([bucket, permission]) => ({ bucket: buckets[bucket].name, permission })),
      }, { parent: this, additionalSecretOutputs: ["accessKey", "secretKey"] });
      keys[who as KeyName] = { accessKey: pulumi.secret(key.accessKey), secretKey: pulumi.secret(key.secretKey) };
    }
    this.keys = keys;
    this.registerOutputs({});
  }
}

import * as aws from "@pulumi/aws";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { deleteGuardPolicy } from "./bucketPolicy";
import { spacesEndpoint } from "./buckets";
import type { BucketId, BucketPlan } from "./buckets";
import type { RecoveryConfig } from "../recovery/recoveryConfig";

export interface ShithubBackupsArgs {
  readonly stack: string;
  readonly buckets: readonly BucketPlan[];
  /** Production: buckets are protected and outlive the stack. */
  readonly production: boolean;
  /** A recovery's source: the lost environment's buckets, which its own key reads and nothing else. */
  readonly recoverFrom?: RecoveryConfig["buckets"];
}

/** A Spaces access key limited to some buckets. Its secret half is a secret output (provider-forced). */
export interface ScopedKey {
  readonly accessKey: pulumi.Output<string>;
  readonly secretKey: pulumi.Output<string>;
}

export type KeyName = "dump" | "wal" | "repos" | "dr-sync" | "app" | "observer";

/**
 * One key per job, each on the hosts that run the job only (docs/explanation/backups.md: what a compromised
 * host can destroy). `readwrite` lets a key delete; the buckets' delete guards (bucketPolicy.ts)
 * take that back wherever a job has no reason to.
 */
const GRANTS: ReadonlyArray<readonly [KeyName, ReadonlyArray<readonly [BucketId, "read" | "readwrite"]>]> = [
  // The dump host's daily and pre-release dumps.
  ["dump", [["backups", "readwrite"]]],
  // The db host's WAL archiving and base backups.
  ["wal", [["wal", "readwrite"]]],
  // The app hosts' restic repository of /data/repos (restic prunes and unlocks: it deletes).
  ["repos", [["repos", "readwrite"]]],
  // The DR sync, on the monitoring host: reads the primaries, adds to the copies.
  ["dr-sync", [["backups", "read"], ["wal", "read"], ["repos", "read"], ["objects", "read"], ["backups-dr", "readwrite"], ["wal-dr", "readwrite"], ["repos-dr", "readwrite"], ["objects-dr", "readwrite"]]],
  // shithubd itself: its runtime objects only.
  ["app", [["objects", "readwrite"]]],
  // The web hosts' backup heartbeats: list (and so read) the dumps and their DR copies, nothing else.
  ["observer", [["backups", "read"], ["backups-dr", "read"]]],
];

/**
 * The environment's Spaces buckets, the scoped keys that reach them, and the policies that keep
 * what the backup buckets hold. @pulumi/digitalocean makes the buckets (versioning and lifecycle
 * rules: the @pulumi/aws lifecycle resource times out against Spaces/Ceph,
 * hashicorp/terraform-provider-aws#43333) and the keys (SpacesKey, which only DigitalOcean's API
 * makes). @pulumi/aws, pointed at the region's Spaces endpoint, sets the bucket policies: S3's
 * PutBucketPolicy, which Spaces serves and the DigitalOcean provider's policy resource fails on
 * with bucket-scoped keys (TF DO#1475). No stack operation may delete a backup: production buckets
 * and their policies are protected and retained, and forceDestroy stays off everywhere.
 */
export class ShithubBackups extends pulumi.ComponentResource {
  readonly buckets: Readonly<Record<BucketId, digitalocean.SpacesBucket>>;
  readonly keys: Readonly<Record<KeyName, ScopedKey>>;
  /** While shithubd:recovery is set: reads the lost environment's buckets (never writes: they are all there is of it). */
  readonly recoveryKey?: ScopedKey;

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

    // One S3 provider per Spaces region, with the stack's Spaces credentials (the same the DigitalOcean provider uses).
    const spaces = new pulumi.Config("digitalocean");
    const accessKey = spaces.getSecret("spacesAccessId") ?? process.env.SPACES_ACCESS_KEY_ID;
    const secretKey = spaces.getSecret("spacesSecretKey") ?? process.env.SPACES_SECRET_ACCESS_KEY;
    const providers = new Map([...new Set(args.buckets.map((b) => b.region))].map((region) => [region, new aws.Provider(`spaces-${region}`, {
      // SigV4 signs for us-east-1 whatever the Spaces region; there is no STS, IAM or metadata service.
      region: "us-east-1",
      endpoints: [{ s3: `https://${spacesEndpoint(region)}` }],
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipRegionValidation: true,
      ...(accessKey !== undefined ? { accessKey } : {}),
      ...(secretKey !== undefined ? { secretKey } : {}),
    }, { parent: this })]));
    for (const plan of args.buckets) {
      const policy = deleteGuardPolicy(plan);
      if (policy === undefined) continue;
      new aws.s3.BucketPolicy(`${plan.name}-keep`, { bucket: buckets[plan.id].name, policy: JSON.stringify(policy) },
        { parent: this, provider: providers.get(plan.region), protect: args.production, retainOnDelete: args.production });
    }

    const keys = {} as Record<KeyName, ScopedKey>;
    for (const [who, grants] of GRANTS) {
      const key = new digitalocean.SpacesKey(`shithub-${args.stack}-${who}`, {
        name: `shithub-${args.stack}-${who}`,
        grants: grants.map(([bucket, permission]) => ({ bucket: buckets[bucket].name, permission })),
      }, { parent: this, additionalSecretOutputs: ["accessKey", "secretKey"] });
      keys[who] = { accessKey: pulumi.secret(key.accessKey), secretKey: pulumi.secret(key.secretKey) };
    }
    this.keys = keys;
    if (args.recoverFrom !== undefined) {
      // By name: the lost environment's buckets are not this stack's resources (a new stack's never were).
      const { wal, repos, objects, backups } = args.recoverFrom;
      const key = new digitalocean.SpacesKey(`shithub-${args.stack}-recovery`, {
        name: `shithub-${args.stack}-recovery`,
        grants: [...new Set([wal, repos, objects, backups])].map((bucket) => ({ bucket, permission: "read" })),
      }, { parent: this, additionalSecretOutputs: ["accessKey", "secretKey"] });
      this.recoveryKey = { accessKey: pulumi.secret(key.accessKey), secretKey: pulumi.secret(key.secretKey) };
    }
    this.registerOutputs({});
  }
}

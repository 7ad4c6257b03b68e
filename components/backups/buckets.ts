import type { LifecycleRule } from "./lifecycle";

/** Regions with Spaces. */
export const SPACES_REGIONS = ["nyc3", "sfo2", "sfo3", "ams3", "fra1", "sgp1", "syd1", "blr1", "lon1", "tor1", "atl1"] as const;

export type BucketId = "backups" | "backups-dr" | "wal" | "wal-dr" | "objects";

export interface BucketPlan {
  readonly id: BucketId;
  /** Spaces bucket name (global namespace). */
  readonly name: string;
  readonly region: string;
  readonly versioning: boolean;
  readonly rules: readonly LifecycleRule[];
}

export interface RetentionSettings {
  readonly prefix: string;
  readonly region: string;
  readonly drRegion: string;
  readonly dailyDays: number;
  readonly walDays: number;
  readonly multipartDays: number;
  /** Days a noncurrent (overwritten or deleted) object version survives. */
  readonly noncurrentDays: number;
  /** Operator rules added to a bucket's generated ones (validated together). */
  readonly extraRules: ReadonlyArray<{ readonly bucket: BucketId; readonly rule: LifecycleRule }>;
}

/**
 * The environment's buckets: dumps and WAL (each with a DR copy in a second region) and the
 * runtime bucket shithubd's S3 storage uses. Dumps live under `daily/` (and `pre-release/<version>/`
 * for the backups taken before a major schema change), WAL segments under `wal/` and base
 * backups under `base/` in their own bucket, so no rule of one can expire the other.
 */
export function bucketPlans(s: RetentionSettings): BucketPlan[] {
  const abort: LifecycleRule = { id: "abort-incomplete-uploads", prefix: "", abortMultipartDays: s.multipartDays };
  const noncurrent: LifecycleRule = { id: "noncurrent-versions", prefix: "", noncurrentDays: s.noncurrentDays };
  const backups: LifecycleRule[] = [
    { id: "daily", prefix: "daily/", expirationDays: s.dailyDays },
    { id: "pre-release", prefix: "pre-release/", expirationDays: Math.max(s.dailyDays, 365) },
    abort,
    noncurrent,
  ];
  // Base backups must outlive the WAL that replays on top of them.
  const wal: LifecycleRule[] = [
    { id: "wal", prefix: "wal/", expirationDays: s.walDays },
    { id: "base", prefix: "base/", expirationDays: s.walDays + 7 },
    abort,
    noncurrent,
  ];
  const plans: BucketPlan[] = [
    { id: "backups", name: bucketName(s.prefix, "backups"), region: s.region, versioning: true, rules: backups },
    { id: "backups-dr", name: bucketName(s.prefix, "backups-dr"), region: s.drRegion, versioning: true, rules: backups },
    { id: "wal", name: bucketName(s.prefix, "wal"), region: s.region, versioning: true, rules: wal },
    { id: "wal-dr", name: bucketName(s.prefix, "wal-dr"), region: s.drRegion, versioning: true, rules: wal },
    { id: "objects", name: bucketName(s.prefix, "objects"), region: s.region, versioning: true, rules: [abort, noncurrent] },
  ];
  return plans.map((p) => ({ ...p, rules: [...p.rules, ...s.extraRules.filter((e) => e.bucket === p.id).map((e) => e.rule)] }));
}

/** The default prefix of an environment's bucket names. */
export function defaultBucketPrefix(stack: string): string {
  return `shithub-${stack}`;
}

export function bucketName(prefix: string, id: BucketId): string {
  return `${prefix}-${id}`;
}

export function spacesEndpoint(region: string): string {
  return `${region}.digitaloceanspaces.com`;
}

/** The Spaces endpoint of the region bucket `id` lives in (the DR copies are in drRegion). */
export function bucketEndpoint(plans: readonly BucketPlan[], id: BucketId): string {
  const plan = plans.find((p) => p.id === id);
  if (plan === undefined) throw new Error(`no bucket ${id} in the plan`);
  return spacesEndpoint(plan.region);
}

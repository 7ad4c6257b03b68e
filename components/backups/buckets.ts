import type { LifecycleRule } from "./lifecycle";

/** Regions with Spaces. */
export const SPACES_REGIONS = ["nyc3", "sfo2", "sfo3", "ams3", "fra1", "sgp1", "syd1", "blr1", "lon1", "tor1", "atl1"] as const;

export type BucketId = "backups" | "backups-dr" | "wal" | "wal-dr" | "repos" | "repos-dr" | "objects" | "objects-dr";

/**
 * What the bucket's policy refuses to every key: "objects", deleting anything (only lifecycle
 * expires there); "versions", deleting a version (a delete leaves a marker, the data stays for
 * the noncurrent days); "none".
 */
export type DeleteGuard = "objects" | "versions" | "none";

export interface BucketPlan {
  readonly id: BucketId;
  /** Spaces bucket name (global namespace). */
  readonly name: string;
  readonly region: string;
  readonly versioning: boolean;
  readonly rules: readonly LifecycleRule[];
  readonly guard: DeleteGuard;
}

export interface RetentionSettings {
  readonly prefix: string;
  /** Names that are not `<prefix>-<id>`: a bucket that already exists, adopted (the live forge's runtime bucket). */
  readonly names?: Partial<Readonly<Record<BucketId, string>>>;
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
 * Days a replaced or deleted version of shithubd's runtime objects stays at least: they are users'
 * data (attachments, avatars, Actions artifacts and logs, LFS objects) with no other copy.
 */
export const OBJECTS_NONCURRENT_DAYS = 30;

/** Days restic keeps the repositories' snapshots (its forget policy; the newest 7 daily, 5 weekly and 12 monthly). */
export const REPOS_RETENTION = { daily: 7, weekly: 5, monthly: 12 } as const;
const REPOS_RETENTION_DAYS = REPOS_RETENTION.monthly * 31;

/**
 * The environment's buckets: dumps, WAL, the repositories' restic repository and the runtime
 * bucket shithubd's S3 storage uses, each with a DR copy in a second region. Dumps live under
 * `daily/` (and `pre-release/<version>/` for the backups taken before a major schema change), WAL
 * segments under `wal/` and base backups under `base/` in their own bucket, so no rule of one can
 * expire the other. restic prunes its own repository: no expiry there, or packs it still needs go.
 * The DR copies are only ever added to: an overwritten or expired version there outlives
 * everything its bucket keeps.
 */
export function bucketPlans(s: RetentionSettings): BucketPlan[] {
  const abort: LifecycleRule = { id: "abort-incomplete-uploads", prefix: "", abortMultipartDays: s.multipartDays };
  const noncurrentFor = (days: number): LifecycleRule => ({ id: "noncurrent-versions", prefix: "", noncurrentDays: days });
  const noncurrent = noncurrentFor(s.noncurrentDays);
  const longest = (rules: readonly LifecycleRule[], floor: number) =>
    noncurrentFor(Math.max(s.noncurrentDays, floor, ...rules.map((r) => r.expirationDays ?? 0)));
  const backups: LifecycleRule[] = [
    { id: "daily", prefix: "daily/", expirationDays: s.dailyDays },
    { id: "pre-release", prefix: "pre-release/", expirationDays: Math.max(s.dailyDays, 365) },
    abort,
  ];
  // Base backups must outlive the WAL that replays on top of them.
  const wal: LifecycleRule[] = [
    { id: "wal", prefix: "wal/", expirationDays: s.walDays },
    { id: "base", prefix: "base/", expirationDays: s.walDays + 7 },
    abort,
  ];
  const plan = (id: BucketId, region: string, rules: LifecycleRule[], guard: DeleteGuard): BucketPlan =>
    ({ id, name: s.names?.[id] ?? bucketName(s.prefix, id), region, versioning: true, rules: [...rules, ...s.extraRules.filter((e) => e.bucket === id).map((e) => e.rule)], guard });
  const dr = (id: BucketId, rules: LifecycleRule[], floor = 0): BucketPlan => {
    const own = plan(id, s.drRegion, rules, "objects");
    return { ...own, rules: [...own.rules, longest(own.rules, floor)] };
  };
  return [
    plan("backups", s.region, [...backups, noncurrent], "objects"),
    dr("backups-dr", backups),
    plan("wal", s.region, [...wal, noncurrent], "objects"),
    dr("wal-dr", wal),
    plan("repos", s.region, [abort, noncurrent], "versions"),
    dr("repos-dr", [abort], REPOS_RETENTION_DAYS),
    // shithubd's own key deletes objects as users do; a deleted object's versions stay, and the DR
    // copy keeps every version it ever saw.
    plan("objects", s.region, [abort, noncurrentFor(Math.max(s.noncurrentDays, OBJECTS_NONCURRENT_DAYS))], "versions"),
    dr("objects-dr", [abort], OBJECTS_NONCURRENT_DAYS),
  ];
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

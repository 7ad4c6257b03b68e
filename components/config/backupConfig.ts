import { bucketName, bucketPlans, defaultBucketPrefix, spacesEndpoint, SPACES_REGIONS } from "../backups/buckets";
import type { BucketId, BucketPlan } from "../backups/buckets";
import { describeConflict, lifecycleConflicts } from "../backups/lifecycle";
import type { LifecycleRule } from "../backups/lifecycle";
import { qualified } from "./projectKeys";
import type { Problem } from "./problems";
import { configSetCommand, parseJsonList } from "./problems";
import type { DeferredKey, EnvValue } from "../env/envValues";
import { Sensitive } from "./sensitive";

export interface BackupConfig {
  readonly buckets: readonly BucketPlan[];
  /** Take and verify a backup before any host restarts (the pinned release changes the schema a lot). */
  readonly majorSchemaChange: boolean;
}

const BUCKET_IDS: readonly BucketId[] = ["backups", "backups-dr", "wal", "wal-dr", "objects"];

type ExtraRule = { bucket: BucketId; rule: LifecycleRule; index: number };

function parseExtraRules(stack: string, text: string | undefined, problems: Problem[]): ExtraRule[] {
  if (text === undefined) return [];
  const key = qualified("lifecycleRules");
  const list = parseJsonList(text);
  if (list === undefined) {
    problems.push({ stack, key, message: "must be a list of {bucket, id, prefix, expirationDays}", fix: `pulumi config rm ${key} -s ${stack}` });
    return [];
  }
  const out: ExtraRule[] = [];
  list.forEach((item: unknown, i) => {
    const r = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const days = typeof r.expirationDays === "string" ? Number(r.expirationDays) : r.expirationDays;
    if (!BUCKET_IDS.includes(r.bucket as BucketId) || typeof r.id !== "string" || typeof r.prefix !== "string" ||
      (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 1))) {
      problems.push({
        stack,
        key: `${key}[${i}]`,
        message: `must be {bucket: ${BUCKET_IDS.join("|")}, id, prefix, expirationDays?: whole days}`,
        fix: `pulumi config rm --path '${key}[${i}]' -s ${stack}`,
      });
      return;
    }
    out.push({ bucket: r.bucket as BucketId, index: i, rule: { id: r.id, prefix: r.prefix, ...(days !== undefined ? { expirationDays: days as number } : {}) } });
  });
  return out;
}

/**
 * shithubd's S3 settings when the stack does not point it elsewhere: the environment's runtime
 * bucket, and its scoped key, which exists only once created (deferred until then).
 */
export function runtimeBucketEnv(stack: string, region: string, prefix: string | undefined): Map<string, EnvValue> {
  const deferred = (key: DeferredKey): EnvValue => ({ value: new Sensitive(`<${key} of the runtime bucket>`), origin: "derived", placeholder: true, deferred: key });
  return new Map<string, EnvValue>([
    ["SHITHUB_STORAGE__S3__ENDPOINT", { value: spacesEndpoint(region), origin: "derived", placeholder: false }],
    ["SHITHUB_STORAGE__S3__BUCKET", { value: bucketName(prefix ?? defaultBucketPrefix(stack), "objects"), origin: "derived", placeholder: false }],
    ["SHITHUB_STORAGE__S3__ACCESS_KEY_ID", deferred("s3AccessKey")],
    ["SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY", deferred("s3SecretKey")],
  ]);
}

/** Buckets and lifecycle of a stack; every overlap where a broader rule cuts a narrower one short is a problem. */
export function parseBackupConfig(stack: string, region: string, project: ReadonlyMap<string, string>): { config?: BackupConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const drRegion = project.get("drRegion") ?? "";
  if (drRegion === region) {
    problems.push({ stack, key: qualified("drRegion"), message: `is the primary region (${region}); the DR copies need a second region`, fix: configSetCommand(stack, qualified("drRegion"), region === "sfo3" ? "nyc3" : "sfo3", false) });
  }
  if (!(SPACES_REGIONS as readonly string[]).includes(region)) {
    problems.push({ stack, key: qualified("region"), message: `has no Spaces (buckets need one of ${SPACES_REGIONS.join(", ")})`, fix: configSetCommand(stack, qualified("region"), "nyc3", false) });
  }
  const extraRules = parseExtraRules(stack, project.get("lifecycleRules"), problems);
  const buckets = bucketPlans({
    prefix: project.get("bucketPrefix") ?? defaultBucketPrefix(stack),
    region,
    drRegion,
    dailyDays: Number(project.get("backupRetentionDays") ?? "90"),
    walDays: Number(project.get("walRetentionDays") ?? "30"),
    multipartDays: Number(project.get("multipartAbortDays") ?? "2"),
    noncurrentDays: 7,
    extraRules,
  });
  const extraIndex = new Map(extraRules.map((e) => [e.rule, e.index]));
  for (const bucket of buckets) {
    for (const conflict of lifecycleConflicts(bucket.rules)) {
      // The fix removes the operator's rule that causes it (the generated rules never conflict among themselves).
      const culprit = extraIndex.has(conflict.broader) ? conflict.broader : conflict.narrower;
      const i = extraIndex.get(culprit);
      problems.push({
        stack,
        key: i === undefined ? qualified("lifecycleRules") : `${qualified("lifecycleRules")}[${i}]`,
        message: `bucket ${bucket.name}: ${describeConflict(conflict)}`,
        fix: i === undefined ? `pulumi config rm ${qualified("lifecycleRules")} -s ${stack}` : `pulumi config rm --path '${qualified("lifecycleRules")}[${i}]' -s ${stack}`,
      });
    }
  }
  if (problems.length > 0) return { problems };
  return { config: { buckets, majorSchemaChange: project.get("majorSchemaChange") === "true" }, problems };
}

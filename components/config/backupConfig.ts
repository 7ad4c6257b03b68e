import { bucketName, bucketPlans, defaultBucketPrefix, spacesEndpoint, SPACES_REGIONS } from "../backups/buckets";
import type { BucketId, BucketPlan } from "../backups/buckets";
import { bucketNameProblem } from "../backups/bucketName";
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
  /** The repositories' restic password. */
  readonly reposPassword: Sensitive;
}

const BUCKET_IDS: readonly BucketId[] = ["backups", "backups-dr", "wal", "wal-dr", "repos", "repos-dr", "objects", "objects-dr"];
/** The buckets an operator may add lifecycle rules to: restic prunes its own repository, and an expiry there would cut packs out from under it. */
const RULE_BUCKET_IDS: readonly BucketId[] = ["backups", "backups-dr", "wal", "wal-dr", "objects", "objects-dr"];

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
    if (days === undefined && typeof r.id === "string" && RULE_BUCKET_IDS.includes(r.bucket as BucketId)) {
      problems.push({
        stack,
        key: `${key}[${i}]`,
        message: "has no action: radosgw refuses a rule that does nothing; give it expirationDays",
        fix: `pulumi config set --path '${key}[${i}].expirationDays' 30 -s ${stack}`,
      });
      return;
    }
    if (!RULE_BUCKET_IDS.includes(r.bucket as BucketId) || typeof r.id !== "string" || !/^[\x21-\x7e]{1,255}$/.test(r.id) || typeof r.prefix !== "string" ||
      (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 1))) {
      problems.push({
        stack,
        key: `${key}[${i}]`,
        message: `must be {bucket: ${RULE_BUCKET_IDS.join("|")}, id, prefix, expirationDays?: whole days}`,
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
export function runtimeBucketEnv(stack: string, region: string, prefix: string | undefined, objectsBucket?: string): Map<string, EnvValue> {
  const deferred = (key: DeferredKey): EnvValue => ({ value: new Sensitive(`<${key} of the runtime bucket>`), origin: "derived", placeholder: true, deferred: key });
  return new Map<string, EnvValue>([
    ["SHITHUB_STORAGE__S3__ENDPOINT", { value: spacesEndpoint(region), origin: "derived", placeholder: false }],
    ["SHITHUB_STORAGE__S3__BUCKET", { value: objectsBucket ?? bucketName(prefix ?? defaultBucketPrefix(stack), "objects"), origin: "derived", placeholder: false }],
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
  if (drRegion !== "" && !(SPACES_REGIONS as readonly string[]).includes(drRegion)) {
    problems.push({ stack, key: qualified("drRegion"), message: `has no Spaces (the DR buckets need one of ${SPACES_REGIONS.join(", ")})`, fix: configSetCommand(stack, qualified("drRegion"), region === "sfo3" ? "nyc3" : "sfo3", false) });
  }
  const prefix = project.get("bucketPrefix") ?? defaultBucketPrefix(stack);
  // The default prefix comes from the stack's name, which S3's naming rules do not bind.
  for (const id of BUCKET_IDS) {
    const name = bucketName(prefix, id);
    const why = bucketNameProblem(name);
    if (why !== undefined) {
      problems.push({
        stack,
        key: qualified("bucketPrefix"),
        message: `${project.has("bucketPrefix") ? "" : `is unset, so it is shithub-<stack>; `}bucket ${JSON.stringify(name)} ${why}`,
        fix: configSetCommand(stack, qualified("bucketPrefix"), "shithub-example", false),
      });
      break;
    }
  }
  const extraRules = parseExtraRules(stack, project.get("lifecycleRules"), problems);
  const objectsBucket = project.get("objectsBucket");
  const buckets = bucketPlans({
    prefix,
    ...(objectsBucket !== undefined ? { names: { objects: objectsBucket } } : {}),
    region,
    drRegion,
    dailyDays: Number(project.get("backupRetentionDays") ?? "90"),
    walDays: Number(project.get("walRetentionDays") ?? "30"),
    multipartDays: Number(project.get("multipartAbortDays") ?? "2"),
    noncurrentDays: 7,
    extraRules,
  });
  const extraIndex = new Map(extraRules.map((e) => [e.rule, e.index]));
  // radosgw refuses a configuration whose rule ids repeat: the operator's against each other or against ours.
  for (const bucket of buckets) {
    const first = new Map<string, LifecycleRule>();
    for (const rule of bucket.rules) {
      const i = extraIndex.get(rule);
      const earlier = first.get(rule.id);
      if (earlier !== undefined && i !== undefined) {
        // A rule not among the operator's is one the program generates.
        const whose = extraIndex.has(earlier) ? "another of lifecycleRules" : "one shithub-infra makes";
        problems.push({
          stack,
          key: `${qualified("lifecycleRules")}[${i}]`,
          message: `bucket ${bucket.name} already has a rule with id '${rule.id}' (${whose}); radosgw refuses repeated ids`,
          fix: `pulumi config set --path '${qualified("lifecycleRules")}[${i}].id' ${rule.id}-2 -s ${stack}`,
        });
      }
      if (earlier === undefined) first.set(rule.id, rule);
    }
  }
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
  // Its absence is reported with every other required key's.
  const reposPassword = project.get("reposBackupPassword");
  if (problems.length > 0 || reposPassword === undefined) return { problems };
  return { config: { buckets, majorSchemaChange: project.get("majorSchemaChange") === "true", reposPassword: new Sensitive(reposPassword) }, problems };
}

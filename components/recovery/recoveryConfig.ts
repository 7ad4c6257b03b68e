import { Region } from "@pulumi/digitalocean";
import { qualified } from "../config/projectKeys";
import type { Problem } from "../config/problems";
import { jsonValueOf } from "../config/problems";

/** Where a recovery reads from: the DR copies in the second region, or the primaries when they survived. */
export type RecoverySource = "dr" | "primary";

/** A stack converging from a lost environment's backups (shithubd:recovery). */
export interface RecoveryConfig {
  readonly from: RecoverySource;
  /** The lost environment's bucket prefix. */
  readonly bucketPrefix: string;
  /** The region its buckets (as read: primaries or DR copies) are in. */
  readonly region: string;
  /** The recovery target, as PostgreSQL reads recovery_target_time; unset: the end of the archive. */
  readonly to?: string;
  /** The buckets read, by what they hold. */
  readonly buckets: { readonly wal: string; readonly repos: string; readonly objects: string; readonly backups: string };
}

const FIELDS = ["from", "bucketPrefix", "region", "to", "objectsBucket"] as const;
const REGIONS: readonly string[] = Object.values(Region);
/** ISO 8601 with a zone: a time without one would be read in the db host's zone. */
const TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
/** The calendar date exists (Date.parse rolls 2026-02-30 over into March; PostgreSQL refuses it). */
const dateExists = (text: string): boolean => {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
};
const EXAMPLE = `'{"from":"dr","bucketPrefix":"shithub","region":"sfo3"}'`;

/** A bucket name as Spaces (S3) takes it: 3 to 63 lowercase letters, digits and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * shithubd:recovery, an object: `from` (dr | primary), `bucketPrefix` and `region` of the buckets
 * read (the lost stack's), and optionally `to`, a time with its zone, and `objectsBucket`, the
 * lost stack's adopted objects bucket (shithubd:objectsBucket) when reading the primaries. Every
 * field is checked for what it will be used as: a bucket name, a Spaces region, a PostgreSQL
 * recovery target. `own` is this stack's bucket prefix and adopted objects bucket: recovering the
 * same stack's primaries reads the objects where shithubd wrote them.
 */
export function parseRecoveryConfig(stack: string, project: ReadonlyMap<string, string>, own: { readonly prefix: string; readonly objectsBucket?: string }): { config?: RecoveryConfig; problems: Problem[] } {
  const text = project.get("recovery");
  if (text === undefined) return { problems: [] };
  const key = qualified("recovery");
  const problem = (message: string, fix = `pulumi config set ${key} ${EXAMPLE} -s ${stack}`): { problems: Problem[] } => ({ problems: [{ stack, key, message, fix }] });
  if (project.get("takeover") !== undefined) {
    return problem("is set while shithubd:takeover is too: a stack recovers from backups or takes a live forge over, not both at once", `pulumi config rm ${key} -s ${stack}`);
  }
  const value = jsonValueOf(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return problem(`must be an object with from, bucketPrefix and region (it is ${JSON.stringify(text)})`);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((f) => !(FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) return problem(`has ${unknown.map((f) => `'${f}'`).join(", ")}, which it does not read: its fields are ${FIELDS.join(", ")}`);
  const { from, bucketPrefix = own.prefix, region, to, objectsBucket } = fields;
  if (from !== "dr" && from !== "primary") return problem(`'from' must be dr (the DR copies) or primary (the primaries, when they survived), not ${JSON.stringify(from)}`);
  if (typeof region !== "string" || !REGIONS.includes(region)) {
    return problem(`'region' must be the DigitalOcean region the ${from === "dr" ? "DR copies" : "primary buckets"} are in (one of ${REGIONS.join(", ")}), not ${JSON.stringify(region)}`);
  }
  // A bucket name is 3 to 63 lowercase letters, digits and hyphens; the longest suffix is -objects-dr.
  if (typeof bucketPrefix !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(bucketPrefix) || bucketPrefix.length > 63 - "-objects-dr".length) {
    return problem(`'bucketPrefix' must be the lost stack's bucket prefix (lowercase letters, digits and hyphens, at most ${63 - "-objects-dr".length}), not ${JSON.stringify(bucketPrefix)}`);
  }
  if (to !== undefined && (typeof to !== "string" || !TIME_WITH_ZONE.test(to) || !dateExists(to) || Number.isNaN(Date.parse(to.replace(" ", "T"))))) {
    return problem(`'to' must be a time with its zone, as 2026-12-01T06:00:00Z (a time without one is read in the db host's zone), not ${JSON.stringify(to)}`);
  }
  if (objectsBucket !== undefined) {
    // The DR copy of an adopted bucket is named from the prefix too (<prefix>-objects-dr).
    if (from !== "primary") return problem(`'objectsBucket' names an adopted primary objects bucket; the DR copies are read by their prefix's names (<prefix>-objects-dr): remove it, or read the primaries with "from":"primary"`);
    if (typeof objectsBucket !== "string" || !BUCKET_NAME.test(objectsBucket)) {
      return problem(`'objectsBucket' must be the lost stack's objects bucket (shithubd:objectsBucket: 3 to 63 lowercase letters, digits and hyphens), not ${JSON.stringify(objectsBucket)}`);
    }
  }
  const suffix = from === "dr" ? "-dr" : "";
  const bucket = (kind: string) => `${bucketPrefix}-${kind}${suffix}`;
  // The same stack's primaries: its objects are in the bucket it adopted, if it adopted one.
  const adopted = objectsBucket ?? (from === "primary" && bucketPrefix === own.prefix ? own.objectsBucket : undefined);
  return {
    config: {
      from, bucketPrefix, region,
      ...(to !== undefined ? { to: to as string } : {}),
      buckets: { wal: bucket("wal"), repos: bucket("repos"), objects: typeof adopted === "string" ? adopted : bucket("objects"), backups: bucket("backups") },
    },
    problems: [],
  };
}

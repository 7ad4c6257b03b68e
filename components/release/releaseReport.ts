/**
 * What a release step reports on stdout when it succeeds: the version the host runs and when the
 * release step switched the host to it. The promotion gate reads it (as staging's stack output),
 * so the time comes from the host's own step, and neither a no-op `up` (the step does not run) nor
 * an env-only change (the script keeps the version's time) restarts a soak.
 */
export interface HostRelease {
  readonly version: string;
  /** RFC 3339 UTC, to the second. */
  readonly releasedAt: string;
  /** Every version the host has switched to, oldest first (absent from a report of an older program). */
  readonly ran?: readonly string[];
}

/** The line's prefix (templates/scripts/shithub-release.sh `report`). */
export const REPORT_PREFIX = "shithub-release-report ";

/** A release tag as shithubd:version takes it (templates/scripts/shithub-release.sh checks the same). */
export const RELEASE_TAG = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** A time as the release record, the reports and the canary's verdict write it: RFC 3339 UTC, to the second. */
export function utcSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function isUtcSecond(value: unknown): value is string {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** A release report as a value, or undefined when `value` is not one (a missing, older or foreign output). */
export function hostReleaseOf(value: unknown): HostRelease | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { version, releasedAt, ran } = value as Record<string, unknown>;
  if (typeof version !== "string" || !RELEASE_TAG.test(version) || !isUtcSecond(releasedAt)) return undefined;
  const versions = Array.isArray(ran) ? ran.filter((v): v is string => typeof v === "string" && RELEASE_TAG.test(v)) : undefined;
  return { version, releasedAt, ...(versions !== undefined ? { ran: versions } : {}) };
}

/** The report in a release step's stdout (its last report line), or undefined when it has none. */
export function parseReleaseReport(stdout: string | undefined): HostRelease | undefined {
  const line = (stdout ?? "").split("\n").filter((l) => l.startsWith(REPORT_PREFIX)).pop();
  if (line === undefined) return undefined;
  try {
    return hostReleaseOf(JSON.parse(line.slice(REPORT_PREFIX.length)));
  } catch {
    return undefined;
  }
}

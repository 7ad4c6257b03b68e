import type { CanaryVerdict } from "../components/promotion/canaryVerdict";
import { utcSecond } from "../components/release/releaseReport";

/** What the canary measured: each signal in the window before the release and the soak after it. */
export interface Measurements {
  readonly stack: string;
  readonly release?: { readonly version: string; readonly at: number };
  readonly windowSeconds: number;
  /** When the canary looked (unix seconds). */
  readonly now: number;
  readonly requests: Pair;
  readonly routes: ReadonlyArray<{ readonly route: string; readonly requests: Pair; readonly p95: Pair }>;
  readonly dbCalls: Pair;
  readonly webUp: Pair;
  readonly queue: { readonly min?: number; readonly growth?: number };
  readonly errorLines: Pair;
  readonly panics: Pair;
}

export interface Pair {
  readonly before?: number;
  readonly after?: number;
}

export interface CanaryThresholds {
  /** A top route fails when its p95 grows by more than this factor... */
  readonly p95Ratio: number;
  /** ...and is slower than this after (a fast route may double unnoticed). */
  readonly p95FloorSeconds: number;
  /** DB calls per request grew by this factor or more: an N+1 regression. */
  readonly dbCallsRatio: number;
  /** Requests a window (or a route) needs before its numbers mean anything. */
  readonly minRequests: number;
  /** Share of scrapes web must have answered after the release (less: a stuck migration or a crash loop). */
  readonly webUpShare: number;
  /** Error lines after the release may exceed twice those before by this many. */
  readonly errorLineSlack: number;
}

export const DEFAULT_THRESHOLDS: CanaryThresholds = { p95Ratio: 1.5, p95FloorSeconds: 0.25, dbCallsRatio: 10, minRequests: 50, webUpShare: 0.9, errorLineSlack: 10 };

export type Verdict = "pass" | "fail" | "no data";

export interface SignalRow {
  readonly signal: string;
  readonly before: string;
  readonly after: string;
  readonly limit: string;
  readonly verdict: Verdict;
}

export interface CanaryResult {
  readonly verdict: Verdict;
  /** Why there is no verdict yet, when there is none. */
  readonly waiting?: string;
  readonly rows: readonly SignalRow[];
}

const num = (v: number | undefined, digits = 2): string => (v === undefined || !Number.isFinite(v) ? "-" : Number(v.toFixed(digits)).toString());
const secs = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : `${Math.round(v * 1000)} ms`);
const ratioOf = (p: Pair): number | undefined => (p.before !== undefined && p.after !== undefined && p.before > 0 ? p.after / p.before : undefined);

/**
 * The runbook's four signals judged for the release staging runs: the soak after it against the
 * same length of time before it, on the same hosts (staging has no second host to be a baseline).
 * Any failing signal fails the canary; without a release, a finished soak or traffic on both
 * sides there is no verdict yet.
 */
export function judgeCanary(m: Measurements, t: CanaryThresholds = DEFAULT_THRESHOLDS): CanaryResult {
  const rows: SignalRow[] = [];
  if (m.release === undefined) return { verdict: "no data", waiting: `no release of ${m.stack} in Prometheus (shithub_release_timestamp_seconds)`, rows };
  const soakEnds = m.release.at + m.windowSeconds;
  if (m.now < soakEnds) {
    const left = Math.ceil((soakEnds - m.now) / 60);
    return { verdict: "no data", waiting: `${m.release.version} is ${Math.floor((m.now - m.release.at) / 60)} min into its ${m.windowSeconds / 60} min soak; ask again in ${left} min`, rows };
  }

  const enough = (p: Pair): boolean => (p.before ?? 0) >= t.minRequests && (p.after ?? 0) >= t.minRequests;
  rows.push({ signal: "requests", before: num(m.requests.before, 0), after: num(m.requests.after, 0), limit: `>= ${t.minRequests} each`, verdict: enough(m.requests) ? "pass" : "no data" });

  for (const r of m.routes) {
    const ratio = ratioOf(r.p95);
    const verdict: Verdict = !enough(r.requests) || ratio === undefined ? "no data"
      : ratio > t.p95Ratio && (r.p95.after ?? 0) > t.p95FloorSeconds ? "fail" : "pass";
    rows.push({ signal: `p95 ${r.route}`, before: secs(r.p95.before), after: secs(r.p95.after), limit: `x${t.p95Ratio} (over ${secs(t.p95FloorSeconds)})`, verdict });
  }

  const perRequest = (calls: number | undefined, requests: number | undefined): number | undefined =>
    calls === undefined || requests === undefined || requests === 0 ? undefined : calls / requests;
  const db = { before: perRequest(m.dbCalls.before, m.requests.before), after: perRequest(m.dbCalls.after, m.requests.after) };
  const dbRatio = ratioOf(db);
  // No calls before and none after: nothing grew.
  const noCalls = db.before === 0 && db.after === 0;
  rows.push({
    signal: "DB calls per request",
    before: num(db.before),
    after: num(db.after),
    limit: `< x${t.dbCallsRatio}`,
    verdict: !enough(m.requests) ? "no data" : noCalls ? "pass" : dbRatio === undefined ? "no data" : dbRatio >= t.dbCallsRatio ? "fail" : "pass",
  });

  rows.push({
    signal: "web ready (scrapes answered)",
    before: m.webUp.before === undefined ? "-" : `${Math.round(m.webUp.before * 100)}%`,
    after: m.webUp.after === undefined ? "-" : `${Math.round(m.webUp.after * 100)}%`,
    limit: `>= ${Math.round(t.webUpShare * 100)}%`,
    verdict: m.webUp.after === undefined ? "no data" : m.webUp.after < t.webUpShare ? "fail" : "pass",
  });

  const stuck = m.queue.min !== undefined && m.queue.growth !== undefined && m.queue.min > 0 && m.queue.growth > 0;
  rows.push({
    signal: "job queue (never empty, growing)",
    before: "-",
    after: m.queue.min === undefined ? "-" : `min ${num(m.queue.min, 0)}, ${num((m.queue.growth ?? 0) * 60)}/min`,
    limit: "drains",
    verdict: m.queue.min === undefined ? "no data" : stuck ? "fail" : "pass",
  });

  const errorLimit = 2 * (m.errorLines.before ?? 0) + t.errorLineSlack;
  const panicsAfter = m.panics.after ?? 0;
  rows.push({
    signal: "log lines panic|ERROR",
    before: num(m.errorLines.before, 0),
    after: num(m.errorLines.after, 0),
    limit: `<= ${num(errorLimit, 0)}`,
    verdict: m.errorLines.after === undefined ? "no data" : m.errorLines.after > errorLimit ? "fail" : "pass",
  });
  rows.push({ signal: "panics", before: num(m.panics.before, 0), after: num(panicsAfter, 0), limit: "0 new", verdict: panicsAfter > 0 ? "fail" : "pass" });

  if (rows.some((r) => r.verdict === "fail")) return { verdict: "fail", rows };
  if (!enough(m.requests)) return { verdict: "no data", waiting: `too little traffic to compare (${num(m.requests.before, 0)} requests before, ${num(m.requests.after, 0)} after; ${t.minRequests} needed in each)`, rows };
  // A signal that could not be read is not a pass (a route with too few requests is only that route's).
  const unread = rows.filter((r) => r.verdict === "no data" && !r.signal.startsWith("p95 ") && r.signal !== "job queue (never empty, growing)").map((r) => r.signal);
  if (unread.length > 0) return { verdict: "no data", waiting: `no data for ${unread.join(", ")}`, rows };
  return { verdict: "pass", rows };
}

/** The table a person reads in five seconds, and the verdict under it. */
export function renderCanary(m: Measurements, result: CanaryResult): string {
  const head = m.release === undefined
    ? `Canary of ${m.stack}: no release found`
    : `Canary of ${m.stack}: shithubd ${m.release.version}, released ${utcSecond(m.release.at * 1000)}; soak of ${m.windowSeconds / 60} min against the ${m.windowSeconds / 60} min before`;
  const lines = [head];
  if (result.rows.length > 0) {
    const table = [["signal", "before", "after", "limit", "verdict"], ...result.rows.map((r) => [r.signal, r.before, r.after, r.limit, r.verdict.toUpperCase()])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) lines.push(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  }
  const failed = result.rows.filter((r) => r.verdict === "fail").map((r) => r.signal);
  lines.push(result.verdict === "pass" ? "verdict: PASS"
    : result.verdict === "fail" ? `verdict: FAIL (${failed.join(", ")})`
    : `verdict: NOT YET: ${result.waiting ?? "not enough data"}`);
  return lines.join("\n");
}

/** What `--record` writes for the promotion gate: the version, pass or fail, when, and what failed (none before a verdict). */
export function verdictOf(m: Measurements, result: CanaryResult): CanaryVerdict | undefined {
  if (m.release === undefined || result.verdict === "no data") return undefined;
  return {
    version: m.release.version,
    verdict: result.verdict,
    judgedAt: utcSecond(Math.floor(m.now) * 1000),
    releasedAt: utcSecond(m.release.at * 1000),
    windowSeconds: m.windowSeconds,
    failed: result.rows.filter((r) => r.verdict === "fail").map((r) => r.signal),
  };
}

import { jsonValueOf } from "../config/problems";
import { isUtcSecond, RELEASE_TAG } from "../release/releaseReport";
import { UNPRINTABLE } from "../config/unprintable";

/**
 * The canary's verdict on a release, as `npm run canary -- --record` writes it into the judged
 * stack's config (shithubd:canaryVerdict) and that stack exports it: the promotion gate of the
 * stack downstream reads it beside the release.
 */
export interface CanaryVerdict {
  readonly version: string;
  readonly verdict: "pass" | "fail";
  /** RFC 3339 UTC. */
  readonly judgedAt: string;
  /** The release it judged (the time its hosts switched to the version), RFC 3339 UTC. */
  readonly releasedAt: string;
  /** How long after the release it looked. */
  readonly windowSeconds: number;
  /** The signals that failed (none on a pass). */
  readonly failed: readonly string[];
}

export const CANARY_VERDICT_KEY = "shithubd:canaryVerdict";

/** A canary verdict as a value, or undefined when `value` is not one. */
export function canaryVerdictOf(value: unknown): CanaryVerdict | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { version, verdict, judgedAt, releasedAt, windowSeconds, failed } = value as Record<string, unknown>;
  if (typeof version !== "string" || !RELEASE_TAG.test(version)) return undefined;
  if (verdict !== "pass" && verdict !== "fail") return undefined;
  if (!isUtcSecond(judgedAt) || !isUtcSecond(releasedAt)) return undefined;
  if (typeof windowSeconds !== "number" || !Number.isInteger(windowSeconds) || windowSeconds <= 0) return undefined;
  // A verdict looks at a release after it: one judged before it judged nothing.
  if (Date.parse(judgedAt) < Date.parse(releasedAt)) return undefined;
  // Signal names as the canary prints them: no control or bidirectional characters in an audit trail.
  if (!Array.isArray(failed) || !failed.every((f) => typeof f === "string" && !UNPRINTABLE.test(f))) return undefined;
  if ((verdict === "pass") !== (failed.length === 0)) return undefined;
  return { version, verdict, judgedAt, releasedAt, windowSeconds, failed };
}

/** The check of shithubd:canaryVerdict's text. */
export function canaryVerdictProblem(text: string): string | undefined {
  const value = jsonValueOf(text);
  return canaryVerdictOf(value) === undefined
    ? "must be a verdict as npm run canary -- --record writes it: {version, verdict pass|fail, judgedAt (not before releasedAt), releasedAt, windowSeconds, failed}"
    : undefined;
}

/** The command that records a verdict in the judged stack's config (its next `up` exports it). */
export function recordVerdictArgs(stack: string, verdict: CanaryVerdict): string[] {
  return ["config", "set", CANARY_VERDICT_KEY, JSON.stringify(verdict), "-s", stack];
}

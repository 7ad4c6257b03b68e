import { PROJECT_KEYS, qualified } from "../components/config/projectKeys";
import { configSetCommand } from "../components/config/problems";
import type { CanaryThresholds } from "./judge";

/** The stack's keys of each threshold (Pulumi.yaml declares their defaults). */
const KEYS = {
  p95Ratio: "canaryP95Ratio",
  p95FloorSeconds: "canaryP95FloorMs",
  dbCallsRatio: "canaryDbCallsRatio",
  minRequests: "canaryMinRequests",
  webUpShare: "canaryWebReadyPercent",
  errorLineSlack: "canaryErrorLineSlack",
} as const satisfies Record<keyof CanaryThresholds, string>;

/**
 * The canary's thresholds from a stack's config values (defaults merged), each checked as the
 * program checks it; a bad one is named with the command that fixes it.
 */
export function thresholdsOf(stack: string, values: Readonly<Record<string, string>>): { thresholds: CanaryThresholds } | { problem: string } {
  const read = (name: string): number | string => {
    const spec = PROJECT_KEYS.find((k) => k.name === name)!;
    const text = values[qualified(name)] ?? spec.default!;
    const reason = spec.check(text);
    return reason === undefined ? Number(text) : `${qualified(name)}: ${reason}\n  fix: ${configSetCommand(stack, qualified(name), spec.example, false)}`;
  };
  const got = Object.fromEntries(Object.entries(KEYS).map(([field, name]) => [field, read(name)])) as Record<keyof CanaryThresholds, number | string>;
  const bad = Object.values(got).find((v): v is string => typeof v === "string");
  if (bad !== undefined) return { problem: `stack ${stack}: ${bad}` };
  const n = got as Record<keyof CanaryThresholds, number>;
  return { thresholds: { ...n, p95FloorSeconds: n.p95FloorSeconds / 1000, webUpShare: n.webUpShare / 100 } };
}

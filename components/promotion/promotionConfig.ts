import { qualified } from "../config/projectKeys";
import { UNPRINTABLE } from "../config/unprintable";
import type { Problem } from "../config/problems";
import { configSetCommand, shellQuote } from "../config/problems";

/** An emergency promotion without the gate: for one version, by a named person, for a stated reason. */
export interface PromotionOverride {
  readonly version: string;
  readonly by: string;
  readonly reason: string;
}

/** This stack takes only releases that another stack (staging) runs and has soaked. */
export interface PromotionConfig {
  /** The stack to promote from, as StackReference names it: `organization/shithubd/staging` on a self-managed backend. */
  readonly from: string;
  readonly soakMinutes: number;
  readonly override?: PromotionOverride;
}

export const OVERRIDE_KEY = qualified("promotionOverride");
const FROM_KEY = qualified("promoteFrom");
const SOAK_KEY = qualified("soakMinutes");
/** What the override command asks the operator to fill in: left as is, it says nothing. */
const OVERRIDE_BLANKS = { by: "<your name>", reason: "<why production cannot wait>" } as const;

/** The commands that write an override for `version` (the operator fills in who and why). */
export function overrideCommand(stack: string, version: string): string {
  const set = (field: string, value: string): string => `pulumi config set --path '${OVERRIDE_KEY}.${field}' ${shellQuote(value)} -s ${stack}`;
  return [set("version", version), set("by", OVERRIDE_BLANKS.by), set("reason", OVERRIDE_BLANKS.reason)].join(" && ");
}

export function removeOverrideCommand(stack: string): string {
  return `pulumi config rm ${OVERRIDE_KEY} -s ${stack}`;
}

/**
 * The promotion settings of a stack whose project keys passed their own checks. Production must
 * name the stack it promotes from: the runbook's staging canary is the rule, not a habit.
 */
export function parsePromotionConfig(
  stack: string,
  version: string | undefined,
  production: boolean,
  project: ReadonlyMap<string, string>,
): { config?: PromotionConfig; problems: Problem[] } {
  const from = project.get("promoteFrom");
  const overrideText = project.get("promotionOverride");
  const problems: Problem[] = [];
  if (from === undefined) {
    if (production) {
      problems.push({
        stack,
        key: FROM_KEY,
        message: "is required for production: it takes only a version that staging runs and has soaked (shithubd:soakMinutes)",
        fix: configSetCommand(stack, FROM_KEY, "organization/shithubd/staging", false),
      });
    }
    if (overrideText !== undefined) {
      problems.push({ stack, key: OVERRIDE_KEY, message: "is set, but this stack has no promotion gate to override (shithubd:promoteFrom is unset)", fix: removeOverrideCommand(stack) });
    }
    return { problems };
  }
  if (production && project.get("soakMinutes") === "0") {
    problems.push({ stack, key: SOAK_KEY, message: "is 0: production would take a version the moment staging runs it, before anyone or the canary saw it run", fix: `pulumi config rm ${SOAK_KEY} -s ${stack}` });
  }
  if (from.split("/").pop() === stack) {
    problems.push({ stack, key: FROM_KEY, message: `names this stack (${stack}); a stack promotes what another stack has soaked`, fix: configSetCommand(stack, FROM_KEY, "organization/shithubd/staging", false) });
  }

  let override: PromotionOverride | undefined;
  if (overrideText !== undefined) {
    const o = JSON.parse(overrideText) as PromotionOverride;
    const by = o.by.trim();
    const reason = o.reason.trim();
    if (version !== undefined && o.version !== version) {
      problems.push({
        stack,
        key: OVERRIDE_KEY,
        message: `is for ${o.version}, but shithubd:version is ${version}: an override covers the one release it names`,
        fix: removeOverrideCommand(stack),
      });
    } else if (by === "" || by === OVERRIDE_BLANKS.by || UNPRINTABLE.test(o.by) || by.length > 100) {
      problems.push({ stack, key: `${OVERRIDE_KEY}.by`, message: "must name who overrides the gate (one line, at most 100 characters)", fix: `pulumi config set --path '${OVERRIDE_KEY}.by' ${shellQuote(OVERRIDE_BLANKS.by)} -s ${stack}` });
    } else if (reason.length < 10 || reason === OVERRIDE_BLANKS.reason || UNPRINTABLE.test(o.reason)) {
      problems.push({ stack, key: `${OVERRIDE_KEY}.reason`, message: "must say why production cannot wait for staging's soak (at least 10 characters, no control or bidirectional characters)", fix: `pulumi config set --path '${OVERRIDE_KEY}.reason' ${shellQuote(OVERRIDE_BLANKS.reason)} -s ${stack}` });
    } else {
      override = { version: o.version, by, reason };
    }
  }
  if (problems.length > 0) return { problems };
  return {
    config: { from, soakMinutes: Number(project.get("soakMinutes") ?? "30"), ...(override !== undefined ? { override } : {}) },
    problems,
  };
}

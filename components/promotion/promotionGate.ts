import type { HostRelease } from "../release/releaseReport";
import { hostReleaseOf, utcSecond } from "../release/releaseReport";
import type { PromotionConfig, PromotionOverride } from "./promotionConfig";
import { canaryVerdictOf } from "./canaryVerdict";
import { overrideCommand, removeOverrideCommand } from "./promotionConfig";

/** What a stack exports as `release`: the version it is configured for and each app host's report. */
export interface ExportedRelease {
  readonly version: string;
  /** null: the host's release step has reported nothing (not run yet under this program, or under a preview). */
  readonly hosts: Readonly<Record<string, HostRelease | null>>;
}

/** The gate's decision, exported by the stack that took it (never a secret). */
export interface PromotionDecision {
  /**
   * `unchanged`: every app host of this stack already runs the version (promoted before); nothing
   * was judged. `returning`: every app host has run it before (a rollback): it passed this gate
   * then, so the upstream is not asked again.
   */
  readonly verdict: "passed" | "refused" | "overridden" | "unchanged" | "returning";
  readonly from: string;
  readonly version: string;
  readonly soakMinutes: number;
  /** When the last of the upstream's app hosts switched to `version`, if they all run it. */
  readonly since?: string;
  readonly soakedMinutes?: number;
  /** Why the gate refuses (or would have, when overridden); empty when it passes. */
  readonly reasons: readonly string[];
  readonly override?: PromotionOverride;
  /** Judged at, RFC 3339. */
  readonly judgedAt: string;
}

/** The upstream stack's outputs the gate reads, as read (undefined where it has none). */
export interface UpstreamOutputs {
  readonly release: unknown;
  readonly canary: unknown;
  /** The upstream stack's deploy key fingerprint (absent from an update before it was exported). */
  readonly deployKey?: unknown;
}

export interface PromotionInput {
  readonly stack: string;
  readonly version: string;
  readonly promotion: PromotionConfig;
  readonly upstream: UpstreamOutputs;
  /** This stack's own `release` output from its last update (undefined on the first). */
  readonly current?: unknown;
  readonly now: Date;
}

const MINUTE = 60_000;

/** The short stack name of a StackReference name (`organization/shithubd/staging` → `staging`). */
export function stackNameOf(reference: string): string {
  return reference.split("/").pop() ?? reference;
}

function exportedReleaseOf(value: unknown): ExportedRelease | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { version, hosts } = value as Record<string, unknown>;
  if (typeof version !== "string" || typeof hosts !== "object" || hosts === null || Array.isArray(hosts)) return undefined;
  const reports: Record<string, HostRelease | null> = {};
  for (const [host, report] of Object.entries(hosts)) reports[host] = hostReleaseOf(report) ?? null;
  return { version, hosts: reports };
}


/**
 * Production's promotion rule, as data: the version must be the one every app host of the
 * upstream stack (staging) runs, and the last of them must have run it for the soak. The override
 * lets one named version through, and the decision still says what the gate found.
 */
export function judgePromotion(input: PromotionInput): PromotionDecision {
  const { version, promotion, now } = input;
  const upstream = stackNameOf(promotion.from);
  const base = { from: promotion.from, version, soakMinutes: promotion.soakMinutes, judgedAt: utcSecond(now.getTime()) };
  // An update that keeps the version (a firewall, an env var) promotes nothing: staging may have moved on.
  const current = exportedReleaseOf(input.current);
  const running = current === undefined ? [] : Object.values(current.hosts);
  if (running.length > 0 && running.every((r) => r !== null && r.version === version)) {
    return { verdict: "unchanged", ...base, reasons: [], ...(promotion.override !== undefined ? { override: promotion.override } : {}) };
  }
  // A rollback: back to a version every app host here switched to before, and ran.
  if (running.length > 0 && running.every((r) => r !== null && (r.ran ?? []).includes(version))) {
    return { verdict: "returning", ...base, reasons: [], ...(promotion.override !== undefined ? { override: promotion.override } : {}) };
  }
  const reasons: string[] = [];
  let since: number | undefined;
  let soakedMinutes: number | undefined;

  const release = exportedReleaseOf(input.upstream.release);
  if (input.upstream.release === undefined || input.upstream.release === null) {
    reasons.push(`${upstream} exports no release (stack ${promotion.from}): deploy ${version} there first (pulumi config set shithubd:version ${version} -s ${upstream} && pulumi up -s ${upstream})`);
  } else if (release === undefined) {
    reasons.push(`${upstream}'s release output is not one this program writes (stack ${promotion.from}): run pulumi up -s ${upstream} with this program first`);
  } else {
    const hosts = Object.entries(release.hosts);
    const silent = hosts.filter(([, r]) => r === null).map(([h]) => h);
    const elsewhere = hosts.filter(([, r]) => r !== null && r.version !== version);
    if (hosts.length === 0) reasons.push(`${upstream} reports no app host`);
    if (silent.length > 0) {
      reasons.push(`${upstream}'s app host${silent.length > 1 ? "s" : ""} ${silent.join(", ")} reported no release (a release step that failed or has not run with this program): run pulumi up -s ${upstream}`);
    }
    if (elsewhere.length > 0) {
      const running = [...new Set(elsewhere.map(([, r]) => r!.version))].join(" and ");
      reasons.push(`${upstream} runs ${running}, not ${version} (on ${elsewhere.map(([h]) => h).join(", ")}): deploy ${version} to ${upstream} first (pulumi config set shithubd:version ${version} -s ${upstream} && pulumi up -s ${upstream})`);
    }
    if (hosts.length > 0 && silent.length === 0 && elsewhere.length === 0) {
      since = Math.max(...hosts.map(([, r]) => Date.parse(r!.releasedAt)));
      soakedMinutes = Math.max(0, Math.floor((now.getTime() - since) / MINUTE));
      if (now.getTime() - since < promotion.soakMinutes * MINUTE) {
        const last = hosts.filter(([, r]) => Date.parse(r!.releasedAt) === since).map(([h]) => h).join(", ");
        reasons.push(
          `${version} has run on ${upstream} for ${soakedMinutes} of the ${promotion.soakMinutes} minutes it must soak (shithubd:soakMinutes), ` +
            `since ${utcSecond(since)} on ${last}; it can be promoted from ${utcSecond(since + promotion.soakMinutes * MINUTE)}`,
        );
      }
      reasons.push(...canaryReasons(input.upstream.canary, version, upstream, since, promotion.soakMinutes));
    }
  }

  const found = {
    ...base,
    reasons,
    ...(since !== undefined ? { since: utcSecond(since) } : {}),
    ...(soakedMinutes !== undefined ? { soakedMinutes } : {}),
    ...(promotion.override !== undefined ? { override: promotion.override } : {}),
  };
  if (reasons.length === 0) return { verdict: "passed", ...found };
  return { verdict: promotion.override?.version === version ? "overridden" : "refused", ...found };
}

/** What the canary's verdict on the upstream stack says against promoting `version`, released there at `since`. */
function canaryReasons(value: unknown, version: string, upstream: string, since: number, soakMinutes: number): string[] {
  const record = `after the soak, npm run canary -- --stack ${upstream} --record, and merge Pulumi.${upstream}.yaml through a pull request (CI deploys ${upstream})`;
  const canary = canaryVerdictOf(value);
  if (canary === undefined || canary.version !== version) {
    return [`${upstream} has no canary verdict on ${version}${canary === undefined ? "" : ` (its last is on ${canary.version})`}: ${record}`];
  }
  if (canary.verdict === "fail") return [`${upstream}'s canary failed ${version} (judged ${canary.judgedAt}: ${canary.failed.join(", ")})`];
  if (Date.parse(canary.releasedAt) !== since) {
    return [`${upstream}'s canary judged ${version} as released at ${canary.releasedAt}, not its current release there (${utcSecond(since)}): ${record}`];
  }
  if (canary.windowSeconds < soakMinutes * 60) {
    return [`${upstream}'s canary watched ${version} for ${canary.windowSeconds / 60} minutes, less than the ${soakMinutes} of shithubd:soakMinutes: ${record}`];
  }
  return [];
}

/** The refusal, as `pulumi preview` prints it: the version, the soak so far, and how to go on. */
export function refusalMessage(stack: string, decision: PromotionDecision): string {
  const lines = [
    `Stack '${stack}' refuses shithubd ${decision.version}: its promotion gate (from ${decision.from}, soak ${decision.soakMinutes} min) ` +
      "does not pass; no resource was registered and no host was touched:",
    ...decision.reasons.map((r, i) => `  ${i + 1}. ${r}`),
    `  then: pulumi up -s ${stack}`,
    `  emergency override (printed in every preview and exported): ${overrideCommand(stack, decision.version)}`,
  ];
  return lines.join("\n");
}

/** The warning every preview and update of an overridden promotion prints. */
export function overrideWarning(stack: string, decision: PromotionDecision): string | undefined {
  const o = decision.override;
  if (o === undefined) return undefined;
  if (decision.verdict !== "overridden") {
    const why = decision.verdict === "unchanged" ? "already runs here" : decision.verdict === "returning" ? "ran here before (a rollback)" : "passed the promotion gate";
    return `shithubd:promotionOverride is set (by ${o.by}) but not needed: ${decision.version} ${why}. Remove it: ${removeOverrideCommand(stack)}`;
  }
  return (
    `PROMOTION GATE OVERRIDDEN for shithubd ${decision.version} by ${o.by}: "${o.reason}". ` +
    `The gate would have refused: ${decision.reasons.join("; ")}. ` +
    `Remove the override after this release: ${removeOverrideCommand(stack)}`
  );
}

import { utcSecond } from "../../components/release/releaseReport";
import { thresholdsOf } from "../../canary/thresholds";
import { DEFAULT_THRESHOLDS } from "../../canary/judge";
import { judgePromotion, refusalMessage } from "../../components/promotion/promotionGate";
import { canaryVerdictProblem } from "../../components/promotion/canaryVerdict";
import type { PromotionConfig } from "../../components/promotion/promotionConfig";
import { parseReleaseReport } from "../../components/release/releaseReport";
import { problemsOf, configOf, rawConfig } from "../helpers";

const NOW = new Date("2026-11-26T12:00:00Z");
const at = (minutesAgo: number, seconds = 0): string => utcSecond(NOW.getTime() - minutesAgo * 60_000 - seconds * 1000);
const GATE: PromotionConfig = { from: "organization/shithubd/staging", soakMinutes: 30 };
/** A passing canary on `version` released at `releasedAt`, judged a minute ago (or as it was released, if later: never before). */
const passed = (version = "v1.9.0", releasedAt = at(40)) =>
  ({ version, verdict: "pass", judgedAt: [at(1), releasedAt].sort().pop()!, releasedAt, windowSeconds: 1800, failed: [] });
/** The canary that judged what `release` says its hosts run (the newest of their release times). */
function passedFor(release: unknown, version: string): unknown {
  const hosts = Object.values((release as { hosts?: Record<string, { releasedAt?: string } | null> } | undefined)?.hosts ?? {});
  const times = hosts.map((h) => h?.releasedAt).filter((t): t is string => t !== undefined).sort();
  return passed(version, times.pop() ?? at(40));
}
const judge = (release: unknown, version = "v1.9.0", promotion = GATE, canary: unknown = passedFor(release, version)) =>
  judgePromotion({ stack: "production", version, promotion, upstream: { release, canary }, now: NOW });
const oneHost = (version: string, releasedAt: string) => ({ version, hosts: { "shithub-staging": { version, releasedAt } } });

describe("a release step's report", () => {
  it("is the last report line of its stdout", () => {
    const out = 'noise\nshithub-release-report {"version":"v1.8.0","releasedAt":"2026-11-26T09:00:00Z"}\nshithub-release-report {"version":"v1.9.0","releasedAt":"2026-11-26T10:00:00Z"}\n';
    expect(parseReleaseReport(out)).toEqual({ version: "v1.9.0", releasedAt: "2026-11-26T10:00:00Z" });
  });

  it.each([
    ["no report", "released\n"],
    ["no stdout at all", undefined],
    ["not JSON", "shithub-release-report v1.9.0 now\n"],
    ["a version that is no release tag", 'shithub-release-report {"version":"latest","releasedAt":"2026-11-26T10:00:00Z"}'],
    ["a time that is not UTC to the second", 'shithub-release-report {"version":"v1.9.0","releasedAt":"2026-11-26 10:00"}'],
    ["an impossible date", 'shithub-release-report {"version":"v1.9.0","releasedAt":"2026-13-45T10:00:00Z"}'],
  ])("with %s is no report", (_what, out) => {
    expect(parseReleaseReport(out)).toBeUndefined();
  });
});

describe("the promotion decision", () => {
  describe("a rollback (docs/runbooks/rollback.md): production returns to a version its app hosts ran before", () => {
    /** Production's own release output: its app host runs `version` and has run `ran`. */
    const production = (version: string, ran: string[]) => ({ version, hosts: { "shithub-app": { version, releasedAt: at(60), ran } } });
    const rollback = (current: unknown, version: string, upstream: unknown) =>
      judgePromotion({ stack: "production", version, promotion: GATE, upstream: { release: upstream, canary: passedFor(upstream, "v1.9.0") }, current, now: NOW });

    it("is let through without staging running it or a new soak", () => {
      const d = rollback(production("v1.9.0", ["v1.8.0", "v1.9.0"]), "v1.8.0", oneHost("v1.9.0", at(1)));
      expect({ verdict: d.verdict, reasons: d.reasons }).toEqual({ verdict: "returning", reasons: [] });
    });

    it("a version new to production is still judged, and refused when staging has not soaked it", () => {
      const d = rollback(production("v1.9.0", ["v1.8.0", "v1.9.0"]), "v1.9.1", oneHost("v1.9.1", at(5)));
      expect(d.verdict).toBe("refused");
      expect(d.reasons[0]).toMatch(/^v1\.9\.1 has run on staging for 5 of the 30 minutes it must soak/);
    });

    it("only when every app host ran it: a host that never did is judged as new", () => {
      const current = { version: "v1.9.0", hosts: { a: { version: "v1.9.0", releasedAt: at(60), ran: ["v1.8.0", "v1.9.0"] }, b: { version: "v1.9.0", releasedAt: at(60), ran: ["v1.9.0"] } } };
      expect(rollback(current, "v1.8.0", oneHost("v1.9.0", at(40))).verdict).toBe("refused");
    });

    it("reads the versions a release report says the host ran", () => {
      expect(parseReleaseReport('shithub-release-report {"version":"v1.9.0","releasedAt":"2026-11-26T10:00:00Z","ran":["v1.8.0","v1.9.0","latest"]}\n'))
        .toEqual({ version: "v1.9.0", releasedAt: "2026-11-26T10:00:00Z", ran: ["v1.8.0", "v1.9.0"] });
    });
  });

  it("passes at exactly the soak, not a second before", () => {
    expect(judge(oneHost("v1.9.0", at(30))).verdict).toBe("passed");
    const early = judge(oneHost("v1.9.0", at(29, 59)));
    expect(early.verdict).toBe("refused");
    expect(early.reasons).toEqual(["v1.9.0 has run on staging for 29 of the 30 minutes it must soak (shithubd:soakMinutes), since 2026-11-26T11:30:01Z on shithub-staging; it can be promoted from 2026-11-26T12:00:01Z"]);
  });

  it("a soak of 0 still takes only the version staging runs", () => {
    expect(judge(oneHost("v1.9.0", at(0)), "v1.9.0", { ...GATE, soakMinutes: 0 }).verdict).toBe("passed");
    expect(judge(oneHost("v1.8.0", at(900)), "v1.9.0", { ...GATE, soakMinutes: 0 }).verdict).toBe("refused");
  });

  it("a release time ahead of this clock soaks nothing yet", () => {
    const d = judge(oneHost("v1.9.0", at(-10)));
    expect(d.verdict).toBe("refused");
    expect(d.soakedMinutes).toBe(0);
  });

  it("counts from the last host that switched, and names it", () => {
    const d = judge({ version: "v1.9.0", hosts: { a: { version: "v1.9.0", releasedAt: at(100) }, b: { version: "v1.9.0", releasedAt: at(31) } } });
    expect(d).toMatchObject({ verdict: "passed", since: at(31), soakedMinutes: 31 });
  });

  it.each([
    ["no release output", undefined, /^staging exports no release/],
    ["an output of another shape", "v1.9.0", /^staging's release output is not one this program writes/],
    ["no app host", { version: "v1.9.0", hosts: {} }, /^staging reports no app host$/],
    ["a host whose report is malformed", { version: "v1.9.0", hosts: { a: { version: "v1.9.0", releasedAt: "yesterday" } } }, /^staging's app host a reported no release/],
  ])("refuses %s", (_what, upstream, reason) => {
    const d = judge(upstream);
    expect(d.verdict).toBe("refused");
    expect(d.reasons[0]).toMatch(reason);
  });

  it("takes only a version staging's canary passed, after its current release there", () => {
    expect(judge(oneHost("v1.9.0", at(40))).verdict).toBe("passed");
    const none = judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, null);
    expect(none.reasons).toEqual(["staging has no canary verdict on v1.9.0: after the soak, npm run canary -- --stack staging --record, and merge Pulumi.staging.yaml through a pull request (CI deploys staging)"]);
    expect(judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, passed("v1.8.0")).reasons[0]).toMatch(/^staging has no canary verdict on v1\.9\.0 \(its last is on v1\.8\.0\)/);
    const failed = judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, { ...passed(), verdict: "fail", judgedAt: at(2), failed: ["DB calls per request"] });
    expect(failed.reasons).toEqual([`staging's canary failed v1.9.0 (judged ${at(2)}: DB calls per request)`]);
    // A pass on an earlier release of the version there says nothing about this one.
    expect(judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, passed("v1.9.0", at(400))).reasons[0])
      .toMatch(/^staging's canary judged v1\.9\.0 as released at .*, not its current release there/);
    // A canary that watched less than the soak (--window 1) does not count.
    expect(judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, { ...passed(), windowSeconds: 60 }).reasons)
      .toEqual(["staging's canary watched v1.9.0 for 1 minutes, less than the 30 of shithubd:soakMinutes: after the soak, npm run canary -- --stack staging --record, and merge Pulumi.staging.yaml through a pull request (CI deploys staging)"]);
    // A verdict that is not one the canary writes is none.
    expect(judge(oneHost("v1.9.0", at(40)), "v1.9.0", GATE, { ...passed(), failed: ["x"] }).verdict).toBe("refused");
  });

  it("an override covers only the version it names", () => {
    const promotion = { ...GATE, override: { version: "v1.9.0", by: "Alice", reason: "hotfix for a data loss bug" } };
    expect(judge(oneHost("v1.8.0", at(900)), "v1.9.0", promotion).verdict).toBe("overridden");
    expect(judge(oneHost("v1.9.0", at(900)), "v1.9.0", promotion).verdict).toBe("passed");
  });

  it("the refusal names the stack, the version, every reason and how to go on", () => {
    const message = refusalMessage("production", judge(oneHost("v1.9.0", at(3))));
    expect(message.split("\n")).toEqual([
      "Stack 'production' refuses shithubd v1.9.0: its promotion gate (from organization/shithubd/staging, soak 30 min) does not pass; no resource was registered and no host was touched:",
      "  1. v1.9.0 has run on staging for 3 of the 30 minutes it must soak (shithubd:soakMinutes), since 2026-11-26T11:57:00Z on shithub-staging; it can be promoted from 2026-11-26T12:27:00Z",
      "  then: pulumi up -s production",
      expect.stringMatching(/^ {2}emergency override \(printed in every preview and exported\): pulumi config set --path 'shithubd:promotionOverride.version' v1.9.0 -s production && /),
    ]);
  });
});

describe("promotion settings", () => {
  const prod = (set: Record<string, string>, drop: string[] = []) =>
    rawConfig({ stack: "production", set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587", ...set }, drop });

  it("production must name the stack it promotes from", () => {
    expect(problemsOf(prod({}, ["shithubd:promoteFrom"]))).toEqual([expect.objectContaining({
      stack: "production",
      key: "shithubd:promoteFrom",
      message: expect.stringContaining("is required for production"),
      fix: "pulumi config set shithubd:promoteFrom organization/shithubd/staging -s production",
    })]);
  });

  it("staging has no gate by default, and an override there has nothing to override", () => {
    expect(configOf(rawConfig()).promotion).toBeUndefined();
    const override = JSON.stringify({ version: "v1.8.0", by: "Alice", reason: "a reason long enough" });
    expect(problemsOf(rawConfig({ set: { "shithubd:promotionOverride": override } }))[0]).toMatchObject({ key: "shithubd:promotionOverride", fix: "pulumi config rm shithubd:promotionOverride -s staging" });
  });

  it.each([
    ["a stack promoting from itself", { "shithubd:promoteFrom": "organization/shithubd/production" }, "shithubd:promoteFrom", /names this stack \(production\)/],
    ["a reference that names no stack", { "shithubd:promoteFrom": "org/proj/stack/extra" }, "shithubd:promoteFrom", /must name a stack/],
    ["a soak that is not whole minutes", { "shithubd:soakMinutes": "1.5" }, "shithubd:soakMinutes", /whole number between 0 and 10080/],
    ["an override with a field missing", { "shithubd:promotionOverride": JSON.stringify({ version: "v1.8.0", by: "Alice" }) }, "shithubd:promotionOverride", /exactly version, by and reason \(it holds by,version\)/],
    ["an override that is a plain string", { "shithubd:promotionOverride": "Alice says so" }, "shithubd:promotionOverride", /must be an object/],
    ["an override with a one-word reason", { "shithubd:promotionOverride": JSON.stringify({ version: "v1.8.0", by: "Alice", reason: "urgent" }) }, "shithubd:promotionOverride.reason", /must say why/],
  ])("refuses %s, naming the key", (_what, set, key, message) => {
    const problems = problemsOf(prod(set));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ stack: "production", key, message: expect.stringMatching(message) });
  });

  it("reads a complete gate", () => {
    const override = { version: "v1.8.0", by: " Alice Ops ", reason: " CVE fix that cannot wait " };
    expect(configOf(prod({ "shithubd:soakMinutes": "45", "shithubd:promotionOverride": JSON.stringify(override) })).promotion).toEqual({
      from: "organization/shithubd/staging", soakMinutes: 45, override: { version: "v1.8.0", by: "Alice Ops", reason: "CVE fix that cannot wait" },
    });
  });
});

describe("the canary's thresholds from stack config", () => {
  it("are Pulumi.yaml's defaults unless the stack sets them, and a bad one names the key and the fix", () => {
    expect(thresholdsOf("staging", {})).toEqual({ thresholds: DEFAULT_THRESHOLDS });
    expect(thresholdsOf("staging", { "shithubd:canaryDbCallsRatio": "3", "shithubd:canaryP95FloorMs": "500" }))
      .toEqual({ thresholds: { ...DEFAULT_THRESHOLDS, dbCallsRatio: 3, p95FloorSeconds: 0.5 } });
    expect(thresholdsOf("staging", { "shithubd:canaryP95Ratio": "0.5" })).toEqual({
      problem: "stack staging: shithubd:canaryP95Ratio: must be a number over 1 and at most 100, such as 1.5\n  fix: pulumi config set shithubd:canaryP95Ratio 1.5 -s staging",
    });
  });

  it("are settings the program accepts, with the same defaults", () => {
    expect(configOf(rawConfig({ set: { "shithubd:canaryP95Ratio": "2.5", "shithubd:canaryWebReadyPercent": "95" } })).stack).toBe("staging");
    expect(problemsOf(rawConfig({ set: { "shithubd:canaryWebReadyPercent": "150" } }))[0]).toMatchObject({ key: "shithubd:canaryWebReadyPercent" });
  });
});

describe("the audit trail's text", () => {
  it("a verdict judged before the release it names judged nothing: refused", () => {
    const early = { ...passed("v1.9.0", at(40)), judgedAt: at(41) };
    expect(canaryVerdictProblem(JSON.stringify(early))).toMatch(/^must be a verdict as npm run canary -- --record writes it: .*judgedAt \(not before releasedAt\)/);
    expect(canaryVerdictProblem(JSON.stringify({ ...passed(), verdict: "fail", failed: ["error\u202erates"] }))).toBeDefined();
  });
});

import { utcSecond } from "../../components/release/releaseReport";
import * as pulumi from "@pulumi/pulumi";
import { deploy } from "../../components/program";
import type { StackOutputs } from "../../components/program";
import { markOfflinePlaceholders } from "../../components/config/runtimeConfig";
import { recordingMocks, valueOf } from "../../offline/run";
import type { RecordedResource } from "../../offline/run";
import { SECRET_SIG } from "../../offline/summary";
import { rawConfig } from "../helpers";

const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

// The promotion gate under Pulumi's mock runtime: production's entry point reads staging's
// `release` output through a StackReference the mock answers, as the engine would from the
// backend. Mock rules (canary-and-pr.md §1.2): the reference's state always has `outputs`, and the
// program never calls requireOutput (both crash jest).

const STAGING_REF = "organization/shithubd/staging";
const NOW = new Date("2026-11-26T12:00:00Z");
const minutesAgo = (m: number): string => utcSecond(NOW.getTime() - m * 60_000);
const PRODUCTION_ENV = { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587" };
const report = (version: string, releasedAt: string): string => `shithub-release-report {"version":"${version}","releasedAt":"${releasedAt}"}\n`;

interface Run {
  readonly outputs?: unknown;
  readonly error?: unknown;
  readonly resources: RecordedResource[];
  readonly warnings: string[];
  /** Whether any stack output is a secret. */
  readonly secretOutputs?: boolean;
}

interface RunOptions {
  readonly set?: Record<string, string>;
  /** The upstream stack's outputs as the backend holds them. */
  readonly upstream?: Record<string, unknown>;
  /** The stack's own outputs from its last update (its reference to itself reads them). */
  readonly current?: Record<string, unknown>;
  readonly secretOutputs?: string[];
  readonly preview?: boolean;
  /** What each release step printed on its host (by resource name), as the engine stores it after an update. */
  readonly stdout?: Record<string, string>;
}

/** The program's entry point (index.ts runs the same function) for one stack, under mocks. */
async function run(stack: string, options: RunOptions = {}): Promise<Run> {
  const resources: RecordedResource[] = [];
  const base = recordingMocks(resources);
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      if (args.type === "pulumi:pulumi:StackReference") {
        resources.push({ type: args.type, name: args.name, custom: true, inputs: args.inputs as Record<string, unknown> });
        const name = String((args.inputs as { name: string }).name);
        const own = name === `organization/shithubd/${stack}`;
        return { id: name, state: { name, outputs: (own ? options.current : options.upstream) ?? {}, secretOutputNames: own ? [] : options.secretOutputs ?? [] } };
      }
      const made = base.newResource(args) as { id: string; state: Record<string, unknown> };
      const out = options.stdout?.[args.name];
      // The engine keeps a release step's stdout secret (its additionalSecretOutputs); so does this mock.
      if (args.type === "command:remote:Command" && out !== undefined) made.state = { ...made.state, stdout: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: out } };
      return made;
    },
    call: base.call,
  }, "shithubd", stack, options.preview ?? false, "organization");
  const raw = rawConfig({ stack, set: { ...(stack === "production" ? PRODUCTION_ENV : {}), ...options.set } });
  pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
  markOfflinePlaceholders([]);
  const warnings: string[] = [];
  const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
    warnings.push(message);
  });
  try {
    const outputs = await deploy(undefined, () => NOW);
    await waitForRPCs();
    return { outputs: await valueOf(pulumi.output(outputs)), secretOutputs: await pulumi.isSecret(pulumi.output(outputs)), resources, warnings };
  } catch (error) {
    await waitForRPCs();
    return { error, resources, warnings };
  } finally {
    warn.mockRestore();
  }
}

/** A verdict as npm run canary -- --record writes it into staging's config, on the release at `releasedAt`. */
const canaryVerdict = (version: string, releasedAt: string, verdict: "pass" | "fail" = "pass", judgedAt = minutesAgo(1)) =>
  JSON.stringify({ version, verdict, judgedAt, releasedAt, windowSeconds: 1800, failed: verdict === "pass" ? [] : ["DB calls per request"] });
/** The release time in a release step's report. */
const releasedAtOf = (stdout: Record<string, string>): string => JSON.parse(Object.values(stdout)[0]!.split(" ")[1]!).releasedAt as string;

/** Staging's outputs after its release steps printed `stdout` (and its canary's verdict was recorded): what production reads. */
async function stagingOutputs(stdout: Record<string, string>, canary?: string): Promise<{ release: unknown; canary: unknown }> {
  const staging = await run("staging", { stdout, ...(canary !== undefined ? { set: { "shithubd:canaryVerdict": canary } } : {}) });
  if (staging.error !== undefined) throw staging.error;
  const outputs = staging.outputs as StackOutputs;
  return { release: outputs.release, canary: outputs.canary };
}
/** Staging's outputs with one release and a passing canary on it. */
const stagingRelease = (stdout: Record<string, string>, version = "v1.9.0") => stagingOutputs(stdout, canaryVerdict(version, releasedAtOf(stdout)));

const production = (version: string, upstream: Record<string, unknown>, extra: Omit<RunOptions, "upstream"> = {}): Promise<Run> =>
  run("production", { ...extra, upstream, set: { "shithubd:version": version, ...extra.set } });

function refusal(r: Run): string {
  expect(r.error).toBeInstanceOf(pulumi.RunError);
  return (r.error as Error).message;
}

/** Only the reads of staging's outputs and production's own: nothing of production's was registered. */
function nothingRegistered(r: Run): void {
  expect(r.resources.map((x) => [x.type, x.inputs.name]).sort()).toEqual([
    ["pulumi:pulumi:StackReference", "organization/shithubd/production"], ["pulumi:pulumi:StackReference", STAGING_REF],
  ]);
}

describe("staging exports what its app hosts run, from their release steps' own output", () => {
  it("each app host's report (version and release time), not the program's clock", async () => {
    const { release } = await stagingOutputs({ "shithub-staging-release": `other output\n${report("v1.8.0", "2026-11-26T09:15:02Z")}` });
    expect(release).toEqual({ version: "v1.8.0", hosts: { "shithub-staging": { version: "v1.8.0", releasedAt: "2026-11-26T09:15:02Z" } } });
  });

  it("a step with no report (not run yet) is null, never a made-up time", async () => {
    expect((await stagingOutputs({})).release).toEqual({ version: "v1.8.0", hosts: { "shithub-staging": null } });
  });

  it("the export is not a secret, though the step's stdout is", async () => {
    const staging = await run("staging", { stdout: { "shithub-staging-release": report("v1.8.0", minutesAgo(40)) } });
    expect(staging.error).toBeUndefined();
    expect(staging.secretOutputs).toBe(false);
  });
});

describe("production's promotion gate, from staging's exported release", () => {
  it("passes a version staging runs and has soaked, builds production, and exports the decision", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(45)) });
    const r = await production("v1.9.0", staging);
    expect(r.error).toBeUndefined();
    expect((r.outputs as StackOutputs).promotion).toEqual({
      verdict: "passed", from: STAGING_REF, version: "v1.9.0", soakMinutes: 30, since: minutesAgo(45), soakedMinutes: 45, reasons: [], judgedAt: "2026-11-26T12:00:00Z",
    });
    expect(r.resources.map((x) => x.type)).toContain("shithub:index:Environment");
    expect(r.warnings).toEqual([]);
  });

  it("refuses a version staging does not run, naming both and the fix, before registering anything", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(300)) });
    const r = await production("v2.0.0", staging);
    const message = refusal(r);
    expect(message).toContain("Stack 'production' refuses shithubd v2.0.0");
    expect(message).toContain("staging runs v1.9.0, not v2.0.0 (on shithub-staging): deploy v2.0.0 to staging first (pulumi config set shithubd:version v2.0.0 -s staging && pulumi up -s staging)");
    expect(message).toContain("no resource was registered and no host was touched");
    nothingRegistered(r);
  });

  it("refuses a version that has soaked too little, naming the version, the soak so far and the override command", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(12)) });
    const message = refusal(await production("v1.9.0", staging));
    expect(message).toContain("v1.9.0 has run on staging for 12 of the 30 minutes it must soak (shithubd:soakMinutes), since 2026-11-26T11:48:00Z on shithub-staging; it can be promoted from 2026-11-26T12:18:00Z");
    expect(message).toContain(
      "emergency override (printed in every preview and exported): pulumi config set --path 'shithubd:promotionOverride.version' v1.9.0 -s production && " +
        "pulumi config set --path 'shithubd:promotionOverride.by' '<your name>' -s production && pulumi config set --path 'shithubd:promotionOverride.reason' '<why production cannot wait>' -s production",
    );
  });

  it("the soak is stack config: 60 minutes refuses what 30 would pass", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(45)) });
    expect(refusal(await production("v1.9.0", staging, { set: { "shithubd:soakMinutes": "60" } }))).toContain("45 of the 60 minutes");
  });

  it("a rollout still under way on staging (hosts on two versions) is refused; the soak counts from the last host", async () => {
    const hosts = (second: string, at: number) => ({ version: "v1.9.0", hosts: { "shithub-app-1": { version: "v1.9.0", releasedAt: minutesAgo(90) }, "shithub-app-2": { version: second, releasedAt: minutesAgo(at) } } });
    expect(refusal(await production("v1.9.0", { release: hosts("v1.8.0", 500), canary: JSON.parse(canaryVerdict("v1.9.0", minutesAgo(90))) }))).toContain("staging runs v1.8.0, not v1.9.0 (on shithub-app-2)");
    expect(refusal(await production("v1.9.0", { release: hosts("v1.9.0", 20), canary: JSON.parse(canaryVerdict("v1.9.0", minutesAgo(20))) }))).toContain("for 20 of the 30 minutes it must soak (shithubd:soakMinutes), since 2026-11-26T11:40:00Z on shithub-app-2");
  });

  it("refuses when staging exports no release, or a host reported none, with the command that fixes it", async () => {
    expect(refusal(await production("v1.9.0", {}))).toContain("staging exports no release (stack organization/shithubd/staging): deploy v1.9.0 there first");
    const silent = await stagingOutputs({});
    expect(refusal(await production("v1.9.0", silent))).toContain("staging's app host shithub-staging reported no release");
  });

  it("refuses a version whose staging canary failed or was never recorded, naming the command that records one", async () => {
    const stdout = { "shithub-staging-release": report("v1.9.0", minutesAgo(45)) };
    expect(refusal(await production("v1.9.0", await stagingOutputs(stdout, canaryVerdict("v1.9.0", minutesAgo(45), "fail")))))
      .toContain(`staging's canary failed v1.9.0 (judged ${minutesAgo(1)}: DB calls per request)`);
    expect(refusal(await production("v1.9.0", await stagingOutputs(stdout))))
      .toContain("staging has no canary verdict on v1.9.0: after the soak, npm run canary -- --stack staging --record, and merge Pulumi.staging.yaml through a pull request (CI deploys staging)");
  });

  it("a hand-written verdict that is not one the canary writes is a config problem on staging", async () => {
    const r = await run("staging", { set: { "shithubd:canaryVerdict": JSON.stringify({ version: "v1.9.0", verdict: "ok" }) } });
    expect(refusal(r)).toContain("shithubd:canaryVerdict: must be a verdict as npm run canary -- --record writes it");
  });

  it("an update that keeps production's version is not judged again: staging may have moved on", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v2.0.0", minutesAgo(5)) }, "v2.0.0");
    const current = { release: { version: "v1.9.0", hosts: { "shithub-app": { version: "v1.9.0", releasedAt: minutesAgo(3000) } } } };
    const r = await production("v1.9.0", staging, { current, set: { "shithubd:alertEmails": JSON.stringify(["ops@shithub.sh", "oncall@shithub.sh"]) } });
    expect(r.error).toBeUndefined();
    expect((r.outputs as StackOutputs).promotion).toMatchObject({ verdict: "unchanged", version: "v1.9.0", reasons: [] });
    // A host not yet on it (a rollout that stopped halfway) is a promotion, judged as one.
    const halfway = { release: { version: "v1.9.0", hosts: { "shithub-app": { version: "v1.9.0", releasedAt: minutesAgo(3000) }, "shithub-app-2": null } } };
    expect(refusal(await production("v1.9.0", staging, { current: halfway }))).toContain("staging runs v2.0.0, not v1.9.0");
  });

  it("reads a release output that staging holds as a secret", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(45)) });
    const r = await production("v1.9.0", staging, { secretOutputs: ["release"] });
    expect(r.error).toBeUndefined();
  });

  it("judges the same in a preview as in an update", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(5)) });
    const r = await production("v1.9.0", staging, { preview: true });
    expect(refusal(r)).toContain("5 of the 30 minutes");
    nothingRegistered(r);
  });

  it("an override for the version lets it through loudly: a warning in every run and the decision exported", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(300)) });
    const override = JSON.stringify({ version: "v2.0.0", by: "Alice Ops", reason: "CVE-2026-4242 in the session code; staging is down for its DB upgrade" });
    const r = await production("v2.0.0", staging, { set: { "shithubd:promotionOverride": override } });
    expect(r.error).toBeUndefined();
    const decision = (r.outputs as StackOutputs).promotion!;
    expect(decision.verdict).toBe("overridden");
    expect(decision.override).toEqual({ version: "v2.0.0", by: "Alice Ops", reason: "CVE-2026-4242 in the session code; staging is down for its DB upgrade" });
    expect(decision.reasons[0]).toContain("staging runs v1.9.0, not v2.0.0");
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^PROMOTION GATE OVERRIDDEN for shithubd v2\.0\.0 by Alice Ops: "CVE-2026-4242 .*"\. The gate would have refused: staging runs v1\.9\.0, not v2\.0\.0/);
    expect(r.warnings[0]).toContain("Remove the override after this release: pulumi config rm shithubd:promotionOverride -s production");
  });

  it("an override of another version, or without who and why, is a config problem; nothing is read or registered", async () => {
    const staging = await stagingRelease({ "shithub-staging-release": report("v1.9.0", minutesAgo(300)) });
    const stale = await production("v2.0.1", staging, { set: { "shithubd:promotionOverride": JSON.stringify({ version: "v2.0.0", by: "Alice Ops", reason: "CVE-2026-4242 hotfix" }) } });
    expect(refusal(stale)).toMatch(/shithubd:promotionOverride: is for v2\.0\.0, but shithubd:version is v2\.0\.1: an override covers the one release it names\n\s+fix: pulumi config rm shithubd:promotionOverride -s production/);
    expect(stale.resources).toEqual([]);
    const blank = await production("v2.0.0", staging, { set: { "shithubd:promotionOverride": JSON.stringify({ version: "v2.0.0", by: "<your name>", reason: "<why production cannot wait>" }) } });
    expect(refusal(blank)).toContain("shithubd:promotionOverride.by: must name who overrides the gate");
  });
});

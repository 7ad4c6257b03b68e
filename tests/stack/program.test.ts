import { OUTPUT_DOCS } from "../../scripts/cli/outputsReference";
import * as pulumi from "@pulumi/pulumi";
import { program } from "../../components/program";
import { markOfflinePlaceholders } from "../../components/config/runtimeConfig";
import { recordingMocks, runOffline, valueOf } from "../../offline/run";
import type { RecordedResource } from "../../offline/run";
import { loadStackFile } from "../../offline/stackFile";
import { SECRET_SIG } from "../../offline/summary";
import { rawConfig, SESSION_KEY, SSH_PRIVATE_KEY, TOTP_KEY } from "../helpers";
import { ROOT, stackCopy } from "./stackCopy";

// Registration goes on after `program()` returns: wait for all of it before asserting.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Replaces every secret-wrapped value (Pulumi's signature key) by a marker. */
function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (typeof v !== "object" || v === null) return v;
  if (SECRET_SIG in v) return "[secret]";
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
}

describe.each(["staging", "production"])("the program on Pulumi.%s.yaml", (stack) => {
  it("registers the environment and renders both env files as secret outputs on each app host", async () => {
    const result = await runOffline(loadStackFile(ROOT, stack));
    if (!result.ok) throw new Error(result.message);
    expect(result.resources.filter((r) => !r.custom).map((r) => r.type)).toContain("shithub:index:Environment");
    const envFiles = result.files.filter((f) => f.path.startsWith("/etc/shithub/"));
    const app = stack === "production" ? "shithub-app" : "shithub-staging";
    expect(envFiles.map((f) => [f.host, f.path, f.secret])).toEqual([
      [app, "/etc/shithub/web.env", true],
      [app, "/etc/shithub/worker.env", true],
      [app, "/etc/shithub/ssh.env", true],
    ]);
    const web = envFiles[0]!.content;
    expect(web).toContain(`SHITHUB_ENV="${stack === "production" ? "prod" : "staging"}"`);
    expect(web).toContain(`SHITHUB_SESSION_KEY="<secret shithubd:SHITHUB_SESSION_KEY not set in Pulumi.${stack}.yaml>"`);
    expect(JSON.stringify(result.outputs)).not.toContain("<secret");
  });

  it("fails like `pulumi preview` when the secrets are not set and placeholders are off", async () => {
    const result = await runOffline(loadStackFile(ROOT, stack), { placeholdersForUnsetValues: false });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(`openssl rand -base64 32 | pulumi config set --secret shithubd:SHITHUB_SESSION_KEY -s ${stack}`);
    expect(result.resources).toEqual([]);
  });
});

describe("a stack copy with a bad config fails with the key and the fix, and registers nothing", () => {
  const cases: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ["missing a required variable", (c) => delete c["shithubd:SHITHUB_AUTH__EMAIL_FROM"],
      /shithubd:SHITHUB_AUTH__EMAIL_FROM: is required by templates\/env\/web\.env\.mustache but is not set\n\s+fix: pulumi config set shithubd:SHITHUB_AUTH__EMAIL_FROM 'shithub <noreply@example\.org>' -s staging/],
    ["a misnamed variable", (c) => { c["shithubd:SHITHUB_AUTH__EMAIL_BACKNED"] = "postmark"; },
      /shithubd:SHITHUB_AUTH__EMAIL_BACKNED: .*did you mean SHITHUB_AUTH__EMAIL_BACKEND\?\n\s+fix: pulumi config set shithubd:SHITHUB_AUTH__EMAIL_BACKEND/],
    ["a plaintext session key", (c) => { c["shithubd:SHITHUB_SESSION_KEY"] = SESSION_KEY; },
      /shithubd:SHITHUB_SESSION_KEY: is a secret .* must be set with --secret\n\s+fix: pulumi config get shithubd:SHITHUB_SESSION_KEY -s staging \| pulumi config set --secret shithubd:SHITHUB_SESSION_KEY -s staging$/],
    ["a newline in a value", (c) => { c["shithubd:SHITHUB_AUTH__EMAIL_FROM"] = "shithub\nSHITHUB_ENV=dev"; },
      /shithubd:SHITHUB_AUTH__EMAIL_FROM: contains a newline.*\n\s+fix: pulumi config set shithubd:SHITHUB_AUTH__EMAIL_FROM/],
  ];

  it.each(cases)("%s", async (_name, edit, expected) => {
    const result = await runOffline(loadStackFile(stackCopy("staging", edit), "staging"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^Stack 'staging' has 1 configuration problem; no resource was registered/);
    expect(result.message).toMatch(expected);
    expect(result.resources).toEqual([]);
    expect(result.message).not.toContain(SESSION_KEY);
  });
});

/** A line of the deploy key's private body: what must never be visible outside a secret. */
const DEPLOY_KEY_BODY = SSH_PRIVATE_KEY.split("\n")[2]!;

describe("secrets under the real program", () => {
  const raw = rawConfig();
  const resources: RecordedResource[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks(recordingMocks(resources), "shithubd", "staging", false);
    pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
    markOfflinePlaceholders([]);
  });

  beforeEach(() => {
    resources.length = 0;
  });

  it("keeps env file contents secret and stack outputs free of secrets", async () => {
    const built = program();
    await waitForRPCs();
    const web = built.environment.hostFiles.find((f) => f.file.path === "/etc/shithub/web.env")!.file.content;
    expect(await pulumi.isSecret(web)).toBe(true);
    expect(await valueOf(web)).toContain(`SHITHUB_SESSION_KEY="${SESSION_KEY}"`);
    // Every registered input, with the values Pulumi holds as secrets taken out: what a diff or state shows in clear.
    const visible = JSON.stringify({ outputs: await valueOf(pulumi.output(built.outputs)), inputs: resources.map((r) => withoutSecrets(r.inputs)) });
    expect(resources.some((r) => r.type === "command:remote:Command")).toBe(true);
    const dbPassword = /postgresql:\/\/shithub:([^@]+)@/.exec(await valueOf(web))![1]!;
    for (const secret of [SESSION_KEY, TOTP_KEY, dbPassword, DEPLOY_KEY_BODY]) expect(visible).not.toContain(secret);
    // The env files travel base64-encoded inside the release bundle: no bundle may be visible either.
    expect(visible).not.toContain("stage_file");
    // Control: the secrets are in the registered inputs, inside secret wrappers.
    const raw = JSON.stringify(resources.map((r) => r.inputs));
    expect(raw).toContain("stage_file");
    expect(raw).toContain(DEPLOY_KEY_BODY);
  });

  it("index.ts, the entry `pulumi up` runs, exports the same outputs", async () => {
    let entry: (() => Promise<unknown>) | undefined;
    jest.isolateModules(() => {
      entry = require("../../index");
    });
    // The runtime calls an exported function and exports what it resolves to.
    const outputs = await entry!();
    await waitForRPCs();
    expect(outputs).toMatchObject({ version: "v1.8.0", domain: "staging.shithub.sh", region: "nyc3", baseUrl: "https://staging.shithub.sh" });
    expect(resources.map((r) => r.type)).toContain("shithub:index:Environment");
    // docs/reference/outputs.md documents each of them (promotion: only a stack with a gate has it; docsUrl: only with shithubd:docsSite)
    expect(Object.keys(outputs as object).sort()).toEqual(Object.keys(OUTPUT_DOCS).filter((k) => k !== "promotion" && k !== "docsUrl").sort());
  });

  it("a config error reaches the engine as a RunError (printed without a stack trace), before any registration", async () => {
    pulumi.runtime.setConfig("shithubd:SHITHUB_AUTH__EMAIL_BACKNED", "postmark");
    try {
      expect(() => program()).toThrow(pulumi.RunError);
      await waitForRPCs();
      expect(resources).toEqual([]);
    } finally {
      pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
    }
  });
});

import { runOffline } from "../../offline/run";
import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { loadStackFile } from "../../offline/stackFile";

// The offline plan judges production's promotion gate when it is given the outputs the gate reads
// (the host tier gives it a real staging stack's): as `pulumi preview` judges it, with its message.
const ROOT = `${__dirname}/../..`;
const released = "2026-12-02T20:00:00Z";
const upstream = { release: { version: "v1.0.0", hosts: { "shithub-staging": { version: "v1.0.0", releasedAt: released } } }, canary: null };
const verdict = { version: "v1.0.0", verdict: "pass", judgedAt: "2026-12-02T20:31:00Z", releasedAt: released, windowSeconds: 1800, failed: [] };
const production = () => {
  const file = loadStackFile(ROOT, "production");
  return { ...file, values: { ...file.values, "shithubd:version": "v1.0.0" } };
};

describe("the offline plan with the promotion gate's inputs", () => {
  it("refuses what the gate refuses, with its reasons", async () => {
    const r = await runOffline(production(), { promotion: { upstream, now: new Date("2026-12-02T20:01:00Z") } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^Stack 'production' refuses shithubd v1\.0\.0: its promotion gate/);
    expect(r.message).toContain("has run on staging for 1 of the 30 minutes");
    expect(r.message).toContain("staging has no canary verdict on v1.0.0");
  });

  it("passes a soaked version with staging's canary verdict, and says so", async () => {
    const r = await runOffline(production(), { promotion: { upstream: { ...upstream, canary: verdict }, now: new Date("2026-12-02T20:31:00Z") } });
    expect(r.ok && r.decision).toMatchObject({ verdict: "passed", since: released, soakedMinutes: 31, reasons: [] });
  });

  it("without them, plans as before: the gate is named, not judged", async () => {
    const r = await runOffline(production());
    expect(r.ok && [r.promotion, r.decision]).toEqual([{ from: "organization/shithubd/staging", soakMinutes: 30 }, undefined]);
  });

  it("refuses to run with the deploy key of the stack it promotes from, unless it is rotating away from it (security review M4)", async () => {
    const plain = await runOffline(production());
    const own = plain.ok ? String(plain.outputs.deployKey) : "";
    expect(own).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const soaked = { upstream: { ...upstream, canary: verdict }, now: new Date("2026-12-02T20:31:00Z") };
    const shared = await runOffline(production(), { promotion: { ...soaked, upstream: { ...soaked.upstream, deployKey: own } } });
    expect(shared.ok).toBe(false);
    if (!shared.ok) {
      expect(shared.message).toMatch(new RegExp(`^Stack 'production' refuses to run: the deploy key of stack 'production' \\(shithubd:sshPrivateKey, ${own.replace(/[+/]/g, "\\$&")}\\) is the one organization/shithubd/staging uses`));
      expect(shared.message).toContain("pulumi config set --path 'shithubd:authorizedKeys[0]' \"$(cat ~/.ssh/shithub_deploy_production.next.pub)\" -s production && pulumi up -s production");
    }
    // The first update of the rotation the message gives goes on; a key of its own passes.
    const next = ed25519KeyPair("the next production key").publicKeyOpenssh.trim();
    const rotating = production();
    const withNext = { ...rotating, values: { ...rotating.values, "shithubd:authorizedKeys": JSON.stringify([next]) } };
    expect((await runOffline(withNext, { promotion: { ...soaked, upstream: { ...soaked.upstream, deployKey: own } } })).ok).toBe(true);
    expect((await runOffline(production(), { promotion: { ...soaked, upstream: { ...soaked.upstream, deployKey: "SHA256:staging's own" } } })).ok).toBe(true);
  });
});

import { diffPlans, renderPlanDiff } from "../../offline/planDiff";
import type { PlanSnapshot } from "../../offline/planDiff";
import { SECRET_SIG } from "../../offline/summary";
import { stagedBundle } from "../../components/hosts/bundle";

const secret = (value: string) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const labels = { before: "HEAD~1", after: "the working tree" };
const droplet = (userData: string, size = "s-1vcpu-2gb") => ({ type: "digitalocean:index/droplet:Droplet", name: "app", custom: true, inputs: { size, userData: secret(userData) } });
const step = (stdin: string) => ({ type: "command:remote:Command", name: "app-release", custom: true, inputs: { create: "run", stdin: secret(stdin) } });
const file = (path: string, content: string, isSecret = false) => ({ host: "app", path, content, secret: isSecret });
const SHA = { a: "a".repeat(64), b: "b".repeat(64) };
/** A release step's bundle as the program builds it: variables (one a secret), a staged unit, a staged library, the script. */
const bundle = (unit: string, o: { version?: string; sha?: string; library?: string; password?: string } = {}) => stagedBundle("release",
  { RELEASE_VERSION: o.version ?? "v1.8.0", ARTIFACT_SHA256: o.sha ?? SHA.a, DB_PASSWORD: o.password ?? "hunter2" },
  { "shithubd-web.service": unit, "release-lib.sh": o.library ?? "#!/bin/bash\nswitch() { mv -f new current; }\n" }, "switch\n");

describe("the plan diff", () => {
  const before: PlanSnapshot = {
    resources: [droplet("#cloud-config a"), step("bundle 1"), { type: "digitalocean:index/vpc:Vpc", name: "vpc", custom: true, inputs: { ipRange: "10.0.0.0/24" } }],
    files: [
      file("/etc/systemd/system/shithubd-web.service", "[Service]\nRestartSec=2\n"),
      file("/etc/shithub/web.env", "SHITHUB_SESSION_KEY=\"old-session-key\"\nSHITHUB_WORKERS=\"4\"\n", true),
      file("/run/shithub-release.bundle", bundle("[Service]\nRestartSec=2\n"), true),
    ],
  };

  it("says no changes when nothing differs", () => {
    const d = diffPlans(before, before, labels);
    expect(d).toEqual({ resources: [], releases: [], files: [] });
    expect(renderPlanDiff("staging", d, labels)).toBe("Plan diff of stack 'staging': the working tree against HEAD~1\nno changes");
  });

  it("a version bump: the release's version and checksum per app host, its variables readable, no secret printed", () => {
    const after: PlanSnapshot = { ...before, files: [before.files[0]!, before.files[1]!, file("/run/shithub-release.bundle", bundle("[Service]\nRestartSec=2\n", { version: "v1.9.0", sha: SHA.b }), true)] };
    const d = diffPlans(before, after, labels);
    expect(d.releases).toEqual([{ host: "app", from: { version: "v1.8.0", sha256: SHA.a }, to: { version: "v1.9.0", sha256: SHA.b } }]);
    const text = renderPlanDiff("production", d, labels);
    expect(text).toContain("Release on app: v1.8.0 → v1.9.0 (sha256 aaaaaaaaaaaa… → bbbbbbbbbbbb…)");
    expect(d.files.map((f) => f.path)).toEqual(["/run/shithub-release.bundle (variables)"]);
    expect(d.files[0]!.patch).toMatch(/^-RELEASE_VERSION='?v1\.8\.0'?$/m);
    expect(d.files[0]!.patch).toMatch(/^\+RELEASE_VERSION='?v1\.9\.0'?$/m);
    expect(d.files[0]!.patch).toMatch(/^ DB_PASSWORD=<secret value \d+>$/m);
    expect(text).not.toContain("hunter2");
  });

  it("a changed library a step stages: its unified diff in the clear, under the step's bundle", () => {
    const after: PlanSnapshot = { ...before, files: [before.files[0]!, before.files[1]!,
      file("/run/shithub-release.bundle", bundle("[Service]\nRestartSec=2\n", { library: "#!/bin/bash\nswitch() { mv -f -T new current; }\n", password: "hunter3" }), true)] };
    const d = diffPlans(before, after, labels);
    expect(d.files.map((f) => f.path)).toEqual(["/run/shithub-release.bundle (variables)", "/run/shithub-release.bundle: release-lib.sh"]);
    expect(d.files[1]!.patch).toContain("-switch() { mv -f new current; }\n+switch() { mv -f -T new current; }\n");
    expect(renderPlanDiff("production", d, labels)).not.toMatch(/hunter[23]/);
    expect(d.releases).toEqual([]);
  });

  it("a changed unit: the step that sends it updates, and the unit's diff is all the files show (not the bundle that carries it)", () => {
    const after: PlanSnapshot = { ...before, resources: [before.resources[0]!, step("bundle 2"), before.resources[2]!],
      files: [file("/etc/systemd/system/shithubd-web.service", "[Service]\nRestartSec=3\n"), before.files[1]!, file("/run/shithub-release.bundle", bundle("[Service]\nRestartSec=3\n"), true)] };
    const d = diffPlans(before, after, labels);
    expect(d.resources).toEqual([{ op: "update", type: "command:remote:Command", name: "app-release", inputs: ["stdin [secret]"] }]);
    expect(d.files.map((f) => f.path)).toEqual(["/etc/systemd/system/shithubd-web.service"]);
    expect(d.files[0]!.patch).toContain("-RestartSec=2\n+RestartSec=3\n");
  });

  it("leaves out what the program's ignoreChanges keeps (the engine keeps the old value): a new image or user data replaces no droplet", () => {
    const ignoring = (d: ReturnType<typeof droplet>, image: string) => ({ ...d, inputs: { ...d.inputs, image }, ignoreChanges: ["userData", "sshKeys", "image"] });
    const old: PlanSnapshot = { resources: [ignoring(droplet("#cloud-config a"), "ubuntu-24-04-x64")], files: [] };
    expect(diffPlans(old, { resources: [ignoring(droplet("#cloud-config b"), "debian-12-x64")], files: [] }, labels).resources).toEqual([]);
    expect(diffPlans(old, { resources: [ignoring(droplet("#cloud-config b", "s-2vcpu-4gb"), "debian-12-x64")], files: [] }, labels).resources)
      .toEqual([{ op: "update", type: "digitalocean:index/droplet:Droplet", name: "app", inputs: ["size"] }]);
  });

  it("replaces where the provider forces it (a droplet's user data), updates where it does not (its size), creates and deletes", () => {
    const after: PlanSnapshot = { resources: [droplet("#cloud-config b", "s-2vcpu-4gb"), step("bundle 1"),
      { type: "digitalocean:index/volume:Volume", name: "data", custom: true, inputs: { size: 10 } }], files: before.files };
    expect(diffPlans(before, after, labels).resources).toEqual([
      { op: "replace", type: "digitalocean:index/droplet:Droplet", name: "app", inputs: ["size", "userData [secret]"] },
      { op: "create", type: "digitalocean:index/volume:Volume", name: "data", inputs: [] },
      { op: "delete", type: "digitalocean:index/vpc:Vpc", name: "vpc", inputs: [] },
    ]);
    expect(diffPlans(before, { ...after, resources: [droplet("#cloud-config a", "s-2vcpu-4gb"), ...before.resources.slice(1)] }, labels).resources)
      .toEqual([{ op: "update", type: "digitalocean:index/droplet:Droplet", name: "app", inputs: ["size"] }]);
  });

  it("a changed secret shows as changed, never its value; an unchanged one is the same on both sides", () => {
    const after: PlanSnapshot = { ...before, files: [before.files[0]!, file("/etc/shithub/web.env", "SHITHUB_SESSION_KEY=\"new-session-key\"\nSHITHUB_WORKERS=\"4\"\n", true), before.files[2]!] };
    const [env] = diffPlans(before, after, labels).files;
    expect(env!.patch).toContain("-SHITHUB_SESSION_KEY=<secret value 1>\n+SHITHUB_SESSION_KEY=<secret value 2>\n SHITHUB_WORKERS=\"4\"\n");
    expect(env!.patch).not.toMatch(/session-key/);
  });

  it("a secret under a name that is not secret stays a token: no line prints a value a secret name holds", () => {
    const env = (url: string, copy: string) => file("/etc/shithub/web.env", `SHITHUB_DATABASE_URL="${url}"\nPGCONN_COPY="${copy}"\nSHITHUB_LOG__FORMAT="json"\n`, true);
    const url = "postgres://shithub:s3cret-pw@10.0.0.2/shithub";
    const d = diffPlans({ ...before, files: [env(url, "old")] }, { ...before, files: [env(url, `host=10.0.0.2 ${url}`)] }, labels);
    expect(d.files[0]!.patch).toMatch(/^\+PGCONN_COPY=<secret value \d+>$/m);
    expect(d.files[0]!.patch).toMatch(/^-PGCONN_COPY="old"$/m);
    expect(d.files[0]!.patch).toMatch(/^ SHITHUB_LOG__FORMAT="json"$/m);
    expect(d.files[0]!.patch).not.toContain("s3cret-pw");
  });
});

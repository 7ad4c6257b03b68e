import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bucketImportFile, urnParts } from "../../components/takeover/bucketImport";
import { differences } from "../../components/takeover/takeover";
import type { ImportFile } from "../../components/takeover/bucketImport";
import { runOffline } from "../../offline/run";
import { unwrapSecret } from "../../offline/summary";
import { loadStackFile } from "../../offline/stackFile";
import { stagedFile } from "../helpers";
import { planOf, ROOT, stackCopy } from "./stackCopy";

/** `npm run takeover -- ARGS`, as an operator runs it. */
function takeover(...args: string[]) {
  const result = spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, "scripts", "takeover.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), "takeover-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("adopting the live forge's buckets (npm run takeover -- import-file)", () => {
  it("writes an import file of every bucket of the stack, under the components the program declares them in", async () => {
    const out = join(work, "import.json");
    const run = takeover("import-file", "--stack", "production", "--out", out);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`pulumi import --file ${out} --generate-code=false -s production`);
    const file = JSON.parse(readFileSync(out, "utf8")) as ImportFile;
    expect(file.resources.slice(0, 2)).toEqual([
      { type: "shithub:index:Environment", name: "production", component: true },
      { type: "shithub:index:Backups", name: "production-backups", component: true, parent: "production" },
    ]);
    const buckets = file.resources.slice(2);
    expect(buckets.map((r) => r.id).sort()).toEqual([
      "nyc3,shithub-backups", "nyc3,shithub-objects", "nyc3,shithub-repos", "nyc3,shithub-wal",
      "sfo3,shithub-backups-dr", "sfo3,shithub-objects-dr", "sfo3,shithub-repos-dr", "sfo3,shithub-wal-dr",
    ]);
    expect(new Set(buckets.map((r) => `${r.type} ${r.parent}`))).toEqual(new Set(["digitalocean:index/spacesBucket:SpacesBucket production-backups"]));
  });

  it("names each bucket exactly as the program registers it: the import lands on the resources the next up manages", async () => {
    const result = await runOffline(loadStackFile(ROOT, "production"));
    if (!result.ok) throw new Error(result.message);
    const registered = result.resources.filter((r) => r.type === "digitalocean:index/spacesBucket:SpacesBucket").map((r) => `${r.name} ${String(r.inputs.region)},${String(r.inputs.name)}`);
    const file = JSON.parse(readFileSync(join(work, "import.json"), "utf8")) as ImportFile;
    expect(file.resources.filter((r) => r.id !== undefined).map((r) => `${r.name} ${r.id}`).sort()).toEqual(registered.sort());
  });

  it("adopts the live runtime bucket under its own name: the import file, shithubd's env and its scoped key all name it", async () => {
    const dir = stackCopy("production", (c) => {
      c["shithubd:objectsBucket"] = "shithub-prod";
    });
    const out = join(work, "import-prod.json");
    expect(takeover("import-file", "--stack", "production", "--dir", dir, "--out", out)).toMatchObject({ code: 0, stderr: "" });
    const ids = (JSON.parse(readFileSync(out, "utf8")) as ImportFile).resources.map((r) => r.id);
    expect(ids).toContain("nyc3,shithub-prod");
    expect(ids).toContain("sfo3,shithub-objects-dr");
    expect(ids).not.toContain("nyc3,shithub-objects");
    const plan = await planOf(dir, "production");
    expect(plan.files.find((f) => f.path === "/etc/shithub/web.env")!.content).toContain('SHITHUB_STORAGE__S3__BUCKET="shithub-prod"');
    const appKey = plan.resources.find((r) => r.type === "digitalocean:index/spacesKey:SpacesKey" && r.name === "shithub-production-app")!;
    expect(appKey.inputs.grants).toEqual([{ bucket: "shithub-prod", permission: "readwrite" }]);
  });

  it("refuses an objectsBucket S3 would refuse, naming the key", async () => {
    const dir = stackCopy("production", (c) => {
      c["shithubd:objectsBucket"] = "Shithub_Prod";
    });
    const result = await runOffline(loadStackFile(dir, "production"));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/shithubd:objectsBucket: must be a bucket name S3 takes: may hold only lower-case letters/);
  });

  it("refuses a bad command line with its usage, and a bad stack with the plan's own message", () => {
    expect(takeover("import-files", "--stack", "production")).toMatchObject({ code: 64, stderr: expect.stringContaining("unknown verb 'import-files' (known: import-file, prepare") });
    expect(takeover("import-file", "--stack", "production", "--stak", "x")).toMatchObject({ code: 64, stderr: expect.stringContaining("usage:\n  npm run takeover -- import-file --stack <name>") });
    expect(takeover("import-file", "--stack", "nope")).toMatchObject({ code: 1, stderr: expect.stringContaining("there is no stack named 'nope' here") });
    expect(takeover("window", "-s", "production", "--source", "203.0.113.10", "--app", "198.51.100.7", "--retry-after", "soon")).toMatchObject({ code: 64, stderr: expect.stringContaining("--retry-after soon is not a whole number of seconds") });
    expect(takeover("window", "-s", "production", "--source", "203.0.113.10", "--app", "198.51.100.7")).toMatchObject({ code: 1, stderr: expect.stringContaining("stack production: shithubd:takeover is not standby") });
    expect(takeover("--help")).toMatchObject({ code: 0, stdout: expect.stringContaining("usage:") });
  });
});

describe("a takeover in standby (shithubd:takeover, shithubd:takeoverSource)", () => {
  const firewalls = (plan: { resources: ReadonlyArray<{ type: string; name: string; inputs: Record<string, unknown> }> }) =>
    plan.resources.filter((r) => r.type === "digitalocean:index/firewall:Firewall").map((r) => r.name);

  it("lets the app and db hosts reach the live box's SSH, and nothing else of it; the rule goes with the takeover", async () => {
    const dir = stackCopy("production", (c) => {
      c["shithubd:takeover"] = "standby";
      c["shithubd:takeoverSource"] = "203.0.113.10";
    });
    const result = await runOffline(loadStackFile(dir, "production"));
    if (!result.ok) throw new Error(result.message);
    const rule = result.resources.find((r) => r.name === "shithub-production-takeover")!;
    expect(rule.inputs.outboundRules).toEqual([{ protocol: "tcp", portRange: "22", destinationAddresses: ["203.0.113.10/32"] }]);
    expect(rule.inputs.inboundRules).toEqual([]);
    expect(rule.inputs.dropletIds).toHaveLength(2);
    const committed = await runOffline(loadStackFile(ROOT, "production"));
    if (!committed.ok) throw new Error(committed.message);
    expect(firewalls(committed)).not.toContain("shithub-production-takeover");
  });

  it.each([
    [{ "shithubd:takeover": "standby" }, "shithubd:takeoverSource: is required while shithubd:takeover is standby", "pulumi config set shithubd:takeoverSource 203.0.113.10 -s production"],
    [{ "shithubd:takeoverSource": "203.0.113.10" }, "shithubd:takeoverSource: is set, but no takeover is in progress", "pulumi config rm shithubd:takeoverSource -s production"],
    [{ "shithubd:takeover": "standby", "shithubd:takeoverSource": "shithub.example.com" }, "shithubd:takeoverSource: must be the live box's IPv4 or IPv6 address", "pulumi config set shithubd:takeoverSource 203.0.113.10 -s production"],
    [{ "shithubd:takeover": "standby", "shithubd:takeoverSource": "127.0.0.1" }, "shithubd:takeoverSource: is in 127.0.0.0/8, an address no other machine reaches the live box at", "pulumi config set shithubd:takeoverSource 203.0.113.10 -s production"],
    [{ "shithubd:takeover": "standby", "shithubd:takeoverSource": "203.0.113.10/32" }, "shithubd:takeoverSource: must be the live box's IPv4 or IPv6 address", "pulumi config set shithubd:takeoverSource"],
  ])("refuses %j, naming the key and the fix", async (set, message, fix) => {
    const dir = stackCopy("production", (c) => Object.assign(c, set));
    const result = await runOffline(loadStackFile(dir, "production"));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
    expect(!result.ok && result.message).toContain(fix);
  });
});

describe("the takeover's checks (differences)", () => {
  it("marks each line by the side that has it alone", () => {
    expect(differences("a\t1\nb\t2\n", "a\t1\nb\t3\nc\t0")).toEqual(["live: b\t2", "stack: b\t3", "stack: c\t0"]);
    expect(differences("x\n", "x")).toEqual([]);
  });
});

describe("bucketImportFile", () => {
  it("creates the parent components empty and imports each bucket by region,name", () => {
    expect(bucketImportFile([{ type: "a:b:C", name: "root" }], [{ type: "t", name: "b1", region: "nyc3", bucket: "live-b1" }])).toEqual({
      resources: [{ type: "a:b:C", name: "root", component: true }, { type: "t", name: "b1", id: "nyc3,live-b1", parent: "root" }],
    });
  });

  it("refuses two resources of one name: parents are referred to by name", () => {
    expect(() => bucketImportFile([{ type: "a", name: "x" }], [{ type: "t", name: "x", region: "r", bucket: "b" }])).toThrow(/named x/);
  });

  it("reads a URN's type and name, nested types and all", () => {
    expect(urnParts("urn:pulumi:production::shithubd::shithub:index:Environment$shithub:index:Backups::production-backups")).toEqual({ type: "shithub:index:Backups", name: "production-backups" });
    expect(() => urnParts("production-backups")).toThrow(/not a URN/);
  });
});

describe("a takeover's standby (shithubd:takeover)", () => {
  it("sends each app host's release in standby, and nothing else changes", async () => {
    const normal = await planOf(stackCopy("production", () => undefined), "production");
    const standby = await planOf(stackCopy("production", (c) => {
      c["shithubd:takeover"] = "standby";
      c["shithubd:takeoverSource"] = "203.0.113.10";
    }), "production");
    const bundleOf = (plan: typeof normal) => String(unwrapSecret(plan.resources.find((r) => r.name === "shithub-app-release")!.inputs.stdin));
    expect(bundleOf(normal)).toContain("STANDBY=0");
    expect(bundleOf(standby)).toContain("STANDBY=1");
    expect(bundleOf(standby).replace("STANDBY=1", "STANDBY=0")).toBe(bundleOf(normal));
  });

  it("keeps the name on the live box until the switch: no A records in a managed zone, and an edge that orders no certificate", async () => {
    const edit = (standby: boolean) => stackCopy("production", (c) => {
      c["shithubd:dnsZone"] = "shithub.sh";
      if (standby) Object.assign(c, { "shithubd:takeover": "standby", "shithubd:takeoverSource": "203.0.113.10" });
    });
    const [during, after] = [await planOf(edit(true), "production"), await planOf(edit(false), "production")];
    const records = (plan: typeof during) => plan.resources.filter((r) => r.type === "digitalocean:index/dnsRecord:DnsRecord").map((r) => r.inputs.name);
    expect({ during: records(during), after: records(after) }).toEqual({ during: [], after: ["@", "www"] });
    const caddyfile = (plan: typeof during) => {
      const bundle = String(unwrapSecret(plan.resources.find((r) => r.name === "shithub-app-edge-setup")!.inputs.stdin));
      return stagedFile(bundle, "Caddyfile") ?? "";
    };
    expect(caddyfile(during).match(/^\ttls internal$/gm)).toHaveLength(2);
    expect(caddyfile(after)).not.toContain("tls internal");
  });

  it("refuses any other value, with the command that ends a takeover", async () => {
    const result = await runOffline(loadStackFile(stackCopy("production", (c) => {
      c["shithubd:takeover"] = "done";
    }), "production"));
    expect(!result.ok && result.message).toMatch(/shithubd:takeover: must be standby \(remove the key when the takeover is done: pulumi config rm shithubd:takeover\)/);
  });
});

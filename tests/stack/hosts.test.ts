import { mockResource } from "../../offline/mockState";
import { runOffline } from "../../offline/run";
import type { RecordedResource } from "../../offline/run";
import { loadStackFile } from "../../offline/stackFile";
import { planOf, ROOT, stackCopy } from "./stackCopy";

const DROPLET = "digitalocean:index/droplet:Droplet";
const VOLUME = "digitalocean:index/volume:Volume";
const RESERVED_IP = "digitalocean:index/reservedIp:ReservedIp";
const FIREWALL = "digitalocean:index/firewall:Firewall";
const STATEFUL = [DROPLET, VOLUME, RESERVED_IP];

const plan = async (dir: string, stack: string): Promise<RecordedResource[]> => (await planOf(dir, stack)).resources;

const ofType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);

type Rule = { protocol: string; portRange: string; sourceAddresses: string[] };

/** port/protocol -> sources, per droplet id, from the firewall inputs the engine would receive. */
function exposure(resources: RecordedResource[]): Map<number, Map<string, string[]>> {
  const byDroplet = new Map<number, Map<string, string[]>>();
  for (const fw of ofType(resources, FIREWALL)) {
    for (const id of fw.inputs.dropletIds as number[]) {
      const open = byDroplet.get(id) ?? new Map<string, string[]>();
      for (const rule of fw.inputs.inboundRules as Rule[]) {
        const key = `${rule.portRange}/${rule.protocol}`;
        open.set(key, [...(open.get(key) ?? []), ...rule.sourceAddresses]);
      }
      byDroplet.set(id, open);
    }
  }
  return byDroplet;
}

describe("production: the four-droplet topology", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    resources = await plan(ROOT, "production");
  });

  it("has the droplets of Pulumi.production.yaml with their key inputs", () => {
    const droplets = ofType(resources, DROPLET).map((d) => d.inputs);
    expect(droplets.map((d) => [d.name, d.size, d.image, d.region, d.monitoring])).toEqual([
      ["shithub-app", "s-2vcpu-4gb", "debian-12-x64", "nyc3", true],
      ["shithub-db", "s-2vcpu-4gb", "debian-12-x64", "nyc3", true],
      ["shithub-backup", "s-1vcpu-2gb", "debian-12-x64", "nyc3", true],
      ["shithub-monitoring", "s-2vcpu-4gb", "debian-12-x64", "nyc3", true],
    ]);
    expect(droplets[0]!.tags).toEqual(["shithub", "shithub-production", "shithub-app"]);
    const vpc = ofType(resources, "digitalocean:index/vpc:Vpc");
    expect(vpc.map((v) => v.inputs.ipRange)).toEqual(["10.10.0.0/24"]);
    for (const d of droplets) expect(d.vpcUuid).toBe(engine(vpc[0]!).id);
    expect(ofType(resources, VOLUME).map((v) => [v.inputs.name, v.inputs.size, v.inputs.initialFilesystemType])).toEqual([["shithub-data", 100, "ext4"], ["shithub-db-data", 100, "ext4"]]);
    expect(ofType(resources, RESERVED_IP)).toHaveLength(1);
  });

  it("protects droplets, volume and reserved IP, and retains the volume", () => {
    for (const r of resources.filter((x) => STATEFUL.includes(x.type))) {
      expect([r.name, r.options?.protect]).toEqual([r.name, true]);
    }
    expect(ofType(resources, VOLUME)[0]!.options?.retainOnDelete).toBe(true);
    for (const d of ofType(resources, DROPLET)) expect(d.options?.ignoreChanges).toEqual(["userData", "sshKeys", "image"]);
  });

  it("exposes Postgres only to the app and backup hosts' private addresses, and SSH to everyone only on the app host (git)", () => {
    const ids = Object.fromEntries(ofType(resources, DROPLET).map((d) => [d.name, idOf(d)]));
    const open = exposure(resources);
    for (const [id, ports] of open) {
      expect(ports.get("5432/tcp")?.filter((s) => s.endsWith("/0")) ?? []).toEqual([]);
      const publicSsh = ports.get("22/tcp")?.filter((s) => s.endsWith("/0")) ?? [];
      expect(publicSsh).toEqual(id === ids["shithub-app"] ? ["0.0.0.0/0", "::/0"] : []);
    }
    expect(open.get(ids["shithub-db"]!)?.get("5432/tcp")).toEqual([`${privateIp(resources, "shithub-app")}/32`, `${privateIp(resources, "shithub-backup")}/32`]);
    expect([...open.get(ids["shithub-app"]!)!.keys()].sort()).toEqual(["22/tcp", "443/tcp", "80/tcp"]);
    expect([...open.get(ids["shithub-monitoring"]!)!.keys()].sort()).toEqual(["22/tcp", "9090/tcp"]);
    expect(open.get(ids["shithub-monitoring"]!)?.get("9090/tcp")).toEqual(["shithub-app", "shithub-db", "shithub-backup"].map((h) => `${privateIp(resources, h)}/32`));
  });

  it("puts every droplet, volume and reserved IP in the project, by DigitalOcean URN", () => {
    const project = ofType(resources, "digitalocean:index/project:Project")[0]!;
    expect(project.inputs.environment).toBe("Production");
    const urns = project.inputs.resources as string[];
    // 4 droplets, 2 volumes, 1 reserved IP, 8 buckets.
    expect(urns).toHaveLength(15);
    expect(urns.every((u) => /^do:(droplet|volume|reservedip|space):/.test(u))).toBe(true);
  });

  it("alerts with the real deployment's thresholds: CPU, memory, disk and load per host over 10 minutes; the site down from every region, its certificate, its latency", () => {
    const monitors = ofType(resources, "digitalocean:index/monitorAlert:MonitorAlert").filter((a) => a.name.startsWith("shithub-app-"));
    expect(monitors.map((a) => [a.inputs.type, a.inputs.compare, a.inputs.value, a.inputs.window])).toEqual([
      ["v1/insights/droplet/cpu", "GreaterThan", 80, "10m"],
      ["v1/insights/droplet/memory_utilization_percent", "GreaterThan", 90, "10m"],
      ["v1/insights/droplet/disk_utilization_percent", "GreaterThan", 80, "10m"],
      ["v1/insights/droplet/load_1", "GreaterThan", 4, "10m"],
    ]);
    expect(monitors[3]!.inputs.description).toBe("shithub-app: load1 above 4 for 10 minutes");
    expect(ofType(resources, "digitalocean:index/monitorAlert:MonitorAlert")).toHaveLength(16);
    const check = ofType(resources, "digitalocean:index/uptimeCheck:UptimeCheck")[0]!;
    expect(check.inputs.target).toBe("https://shithub.sh/healthz");
    const alerts = ofType(resources, "digitalocean:index/uptimeAlert:UptimeAlert");
    expect(alerts.map((a) => [a.inputs.type, a.inputs.comparison, a.inputs.threshold, a.inputs.period])).toEqual([
      ["down_global", "greater_than", 0, "5m"], ["ssl_expiry", "less_than", 14, "5m"], ["latency", "greater_than", 2000, "5m"],
    ]);
    for (const a of alerts) expect(a.inputs.notifications).toEqual([{ emails: ["ops@shithub.sh"] }]);
  });
});

describe("staging: one droplet, freely destroyable", () => {
  it("registers one droplet with every role and protects nothing", async () => {
    const resources = await plan(ROOT, "staging");
    expect(ofType(resources, DROPLET).map((d) => d.inputs.tags)).toEqual([
      ["shithub", "shithub-staging", "shithub-app", "shithub-db", "shithub-backup", "shithub-monitoring"],
    ]);
    for (const r of resources.filter((x) => STATEFUL.includes(x.type))) expect([r.name, r.options?.protect, r.options?.retainOnDelete]).toEqual([r.name, false, false]);
    expect(ofType(resources, FIREWALL).map((f) => f.name).sort()).toEqual(["shithub-staging-app", "shithub-staging-base"]);
  });

  it("creates the A records in DigitalOcean when the zone is managed there", async () => {
    const resources = await plan(stackCopy("staging", (c) => { c["shithubd:dnsZone"] = "shithub.sh"; }), "staging");
    expect(ofType(resources, "digitalocean:index/dnsRecord:DnsRecord").map((r) => [r.inputs.domain, r.inputs.name, r.inputs.type])).toEqual([
      ["shithub.sh", "staging", "A"],
      ["shithub.sh", "www.staging", "A"],
    ]);
  });

  it("with shithubd:docsSite, a public bucket behind the CDN: at docs.<domain> with DigitalOcean's certificate when the zone is managed here, else at the CDN's name", async () => {
    const zoned = await planOf(stackCopy("staging", (c) => { c["shithubd:dnsZone"] = "shithub.sh"; c["shithubd:docsSite"] = true; }), "staging");
    const bucket = zoned.resources.find((r) => r.type === "digitalocean:index/spacesBucket:SpacesBucket" && r.inputs.name === "shithub-staging-docs")!;
    expect(bucket.inputs).toMatchObject({ acl: "public-read", forceDestroy: false });
    expect(ofType(zoned.resources, "digitalocean:index/certificate:Certificate").map((c) => [c.inputs.type, c.inputs.domains])).toEqual([["lets_encrypt", ["docs.staging.shithub.sh"]]]);
    expect(ofType(zoned.resources, "digitalocean:index/cdn:Cdn").map((c) => [c.inputs.origin, c.inputs.customDomain])).toEqual([["shithub-staging-docs.nyc3.digitaloceanspaces.com", "docs.staging.shithub.sh"]]);
    expect(ofType(zoned.resources, "digitalocean:index/dnsRecord:DnsRecord").filter((r) => r.inputs.type === "CNAME").map((r) => [r.inputs.name, r.inputs.value]))
      .toEqual([["docs.staging", "shithub-staging-docs.nyc3.cdn.digitaloceanspaces.com."]]);
    expect((zoned.outputs as { docsUrl: string }).docsUrl).toBe("https://docs.staging.shithub.sh");
    const project = ofType(zoned.resources, "digitalocean:index/project:Project")[0]!;
    expect(project.inputs.resources).toContain("do:space:shithub-staging-docs");

    const plain = await planOf(stackCopy("production", (c) => { c["shithubd:docsSite"] = true; }), "production");
    expect(ofType(plain.resources, "digitalocean:index/certificate:Certificate")).toEqual([]);
    expect((plain.outputs as { docsUrl: string }).docsUrl).toBe("https://shithub-docs.nyc3.cdn.digitaloceanspaces.com");
    const kept = plain.resources.find((r) => r.inputs.name === "shithub-docs")!;
    expect([kept.options?.protect, kept.options?.retainOnDelete]).toEqual([true, true]);
    // Off by default.
    expect(ofType(await plan(ROOT, "production"), "digitalocean:index/cdn:Cdn")).toEqual([]);
  });

  it("with shithubd:mailDns, makes Postmark's records in the zone, or lists them in the dnsRecords output to make by hand", async () => {
    const mailDns = JSON.stringify({ dkimSelector: "20240101123456pm", dkimValue: `k=rsa;p=${"A".repeat(60)}`, dmarcReports: "dmarc@shithub.sh" });
    const zoned = await plan(stackCopy("staging", (c) => { c["shithubd:dnsZone"] = "shithub.sh"; c["shithubd:mailDns"] = mailDns; }), "staging");
    expect(ofType(zoned, "digitalocean:index/dnsRecord:DnsRecord").filter((r) => r.inputs.type !== "A").map((r) => [r.inputs.name, r.inputs.type, r.inputs.value])).toEqual([
      ["20240101123456pm._domainkey.staging", "TXT", `k=rsa;p=${"A".repeat(60)}`],
      ["pm-bounces.staging", "CNAME", "pm.mtasv.net."],
      ["staging", "TXT", "v=spf1 include:spf.mtasv.net ~all"],
      ["_dmarc.staging", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@shithub.sh; pct=100"],
    ]);
    const byHand = await planOf(stackCopy("staging", (c) => { c["shithubd:mailDns"] = mailDns; }), "staging");
    expect(ofType(byHand.resources, "digitalocean:index/dnsRecord:DnsRecord")).toEqual([]);
    const listed = (byHand.outputs as { dnsRecords: Array<{ type: string; name: string }> }).dnsRecords.filter((r) => r.type !== "A");
    expect(listed.map((r) => `${r.type} ${r.name}`)).toEqual([
      "TXT 20240101123456pm._domainkey.staging.shithub.sh", "CNAME pm-bounces.staging.shithub.sh", "TXT staging.shithub.sh", "TXT _dmarc.staging.shithub.sh",
    ]);
  });
});

describe("a release never touches a host's inputs", () => {
  it("droplet, volume and reserved IP inputs are byte-identical across version, env and unit changes", async () => {
    const stateful = (rs: RecordedResource[]) => JSON.stringify(rs.filter((r) => STATEFUL.includes(r.type)).map((r) => [r.type, r.name, r.inputs, r.options]));
    const before = await plan(ROOT, "production");
    const after = await plan(stackCopy("production", (c) => {
      c["shithubd:version"] = "v1.9.0";
      c["shithubd:SHITHUB_LOG__LEVEL"] = "debug";
      c["shithubd:SHITHUB_WORKERS"] = "8";
      c["shithubd:SHITHUB_AUTH__EMAIL_FROM"] = "shithub <hello@shithub.sh>";
      c["shithubd:migrationTimeout"] = "45min"; // changes the web unit
    }), "production");
    expect(stateful(after)).toBe(stateful(before));
    const release = (rs: RecordedResource[]) => JSON.stringify(rs.find((r) => r.name === "shithub-app-release")!.inputs);
    expect(release(after)).not.toBe(release(before));
    expect(ofType(before, DROPLET)).toHaveLength(4);
  });
});

describe("a bad topology in a stack copy fails clearly and registers nothing", () => {
  it.each<[string, (c: Record<string, unknown>) => void, RegExp]>([
    ["no db host", (c) => { (c["shithubd:hosts"] as Array<{ roles: string[] }>)[1]!.roles = ["backup"]; },
      /shithubd:hosts: must have exactly one host with the db role \(found 0\)/],
    ["SSH open to the world in production", (c) => { c["shithubd:adminCidrs"] = ["0.0.0.0/0"]; },
      /shithubd:adminCidrs: admits 100% of all IPv4 addresses together \(more than a \/8\), which opens root SSH to the internet in effect/],
    ["an unknown size", (c) => { (c["shithubd:hosts"] as Array<{ size: string }>)[0]!.size = "s-2vcpu-4gbb"; },
      /shithubd:hosts\[0\]\.size: is not a DigitalOcean droplet size; did you mean s-2vcpu-4gb\?\n\s+fix: pulumi config set --path 'shithubd:hosts\[0\]\.size' s-2vcpu-4gb -s production/],
  ])("%s", async (_what, edit, expected) => {
    const result = await runOffline(loadStackFile(stackCopy("production", edit), "production"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(expected);
    expect(result.resources).toEqual([]);
  });
});

/** What the mock engine answered for a resource: the same stable id and addresses the program received. */
const engine = (r: RecordedResource) => mockResource(r.type, r.name, r.inputs);
const idOf = (r: RecordedResource): number => Number(engine(r).id);
const privateIp = (resources: RecordedResource[], host: string): string =>
  engine(ofType(resources, DROPLET).find((d) => d.name === host)!).state.ipv4AddressPrivate as string;

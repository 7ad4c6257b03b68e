import { FOUR_HOSTS, problemsOf, rawConfig, SINGLE_HOST } from "../helpers";
import { configOf } from "../helpers";

const withHosts = (hosts: unknown, stack = "production") => rawConfig({ stack, set: { "shithubd:hosts": JSON.stringify(hosts), ...(stack === "production" ? { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587" } : {}) } });
const edit = (i: number, change: Record<string, unknown>) => FOUR_HOSTS.map((h, j) => (j === i ? { ...h, ...change } : h));

describe("valid topologies", () => {
  it("reads the four-droplet and the single-droplet topologies", () => {
    expect(configOf(withHosts(FOUR_HOSTS)).hosts.hosts.map((h) => [h.name, h.roles])).toEqual([
      ["shithub-app", ["app"]], ["shithub-db", ["db"]], ["shithub-backup", ["backup"]], ["shithub-monitoring", ["monitoring"]],
    ]);
    expect(configOf(withHosts(SINGLE_HOST, "staging")).hosts.hosts[0]!.volume).toEqual({ name: "shithub-staging-data", sizeGib: 20 });
  });
});

describe("each bad topology input is a clear problem with a --path fix", () => {
  it.each<[string, unknown, string, RegExp, string]>([
    ["duplicate names", edit(1, { name: "shithub-app" }), "shithubd:hosts[1].name", /repeats the host name shithub-app of hosts\[0\]/,
      "pulumi config set --path 'shithubd:hosts[1].name' shithub-app-1 -s production"],
    ["an unknown role", edit(3, { roles: ["monitorign"] }), "shithubd:hosts[3].roles[0]", /is not a role; did you mean monitoring\?/,
      "pulumi config set --path 'shithubd:hosts[3].roles[0]' monitoring -s production"],
    ["no db host", edit(1, { roles: ["backup"] }).slice(0, 2), "shithubd:hosts", /exactly one host with the db role \(found 0\)/,
      "pulumi config set --path 'shithubd:hosts[0].roles[1]' db -s production"],
    ["two db hosts", edit(2, { roles: ["db"] }), "shithubd:hosts", /exactly one host with the db role \(found 2: shithub-db, shithub-backup\)/,
      "pulumi config rm --path 'shithubd:hosts[2].roles[0]' -s production"],
    ["no app host", FOUR_HOSTS.slice(1), "shithubd:hosts", /exactly one host with the app role \(found 0\)/,
      "pulumi config set --path 'shithubd:hosts[0].roles[1]' app -s production"],
    ["two app hosts", [...FOUR_HOSTS, { name: "shithub-app-2", size: "s-2vcpu-4gb", roles: ["app"], volume: { name: "shithub-data-2", sizeGib: 100 } }], "shithubd:hosts",
      /exactly one host with the app role \(found 2: shithub-app, shithub-app-2\): the repositories live on the app host's \/data volume and shithubd has no shared repository store.*bigger droplet/,
      "pulumi config rm --path 'shithubd:hosts[4]' -s production"],
    ["an app role on a host with others", edit(3, { roles: ["monitoring", "app"], volume: { name: "shithub-monitoring-data", sizeGib: 10 } }), "shithubd:hosts",
      /exactly one host with the app role \(found 2: shithub-app, shithub-monitoring\)/,
      "pulumi config rm --path 'shithubd:hosts[3].roles[1]' -s production"],
    ["an unknown size", edit(0, { size: "s-2vcpu-4g" }), "shithubd:hosts[0].size", /not a DigitalOcean droplet size; did you mean s-2vcpu-4gb\?/,
      "pulumi config set --path 'shithubd:hosts[0].size' s-2vcpu-4gb -s production"],
    ["an app host without a data volume", edit(0, { volume: undefined }), "shithubd:hosts[0].volume", /required on an app host/,
      `pulumi config set --path 'shithubd:hosts[0].volume' '{"name":"shithub-data","sizeGib":100}' -s production`],
    ["a zero-size volume", edit(0, { volume: { name: "shithub-data", sizeGib: 0 } }), "shithubd:hosts[0].volume.sizeGib", /whole number of GiB/,
      "pulumi config set --path 'shithubd:hosts[0].volume.sizeGib' 100 -s production"],
    ["an unknown host field", edit(1, { sise: "s-1vcpu-2gb" }), "shithubd:hosts[1].sise", /not a host field; did you mean size\?/,
      "pulumi config rm --path 'shithubd:hosts[1].sise' -s production"],
    ["a repeated role", edit(0, { roles: ["app", "app"] }), "shithubd:hosts[0].roles[1]", /repeats the role app/,
      "pulumi config rm --path 'shithubd:hosts[0].roles[1]' -s production"],
    ["two monitoring hosts", edit(2, { roles: ["monitoring"] }), "shithubd:hosts", /at most one monitoring host \(found shithub-backup, shithub-monitoring\)/,
      "pulumi config rm --path 'shithubd:hosts[3].roles[0]' -s production"],
    ["an empty list", [], "shithubd:hosts", /non-empty list of hosts/, ""],
    ["a host key with the host name in it", edit(0, { hostKey: "203.0.113.5 ssh-ed25519 AAAAC3Nza" }), "shithubd:hosts[0].hostKey", /as ssh-keyscan prints it, without the host name/, ""],
  ])("%s", (_what, hosts, key, message, fix) => {
    const problems = problemsOf(withHosts(hosts));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe(key);
    expect(problems[0]!.message).toMatch(message);
    if (fix !== "") expect(problems[0]!.fix).toBe(fix);
  });

  it("hosts that are not a list", () => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:hosts": "shithub-app" } }));
    expect(problems.map((p) => [p.key, p.message])).toEqual([["shithubd:hosts", "must be a list (set items with --path)"]]);
  });

  it("an unknown region names the valid ones", () => {
    const [p] = problemsOf(rawConfig({ set: { "shithubd:region": "nyc9" } }));
    expect(p!.message).toMatch(/must be a DigitalOcean region: nyc1, nyc2, nyc3/);
  });
});

describe("network and access settings", () => {
  it("production refuses admin networks that admit the internet in effect, by what they admit, not how they are written", () => {
    const raw = withHosts(FOUR_HOSTS);
    const withCidrs = (cidrs: string[]) => ({ ...raw, values: { ...raw.values, "shithubd:adminCidrs": JSON.stringify(cidrs) } });
    const refuse = (cidrs: string[]) => problemsOf(withCidrs(cidrs));
    const accept = (cidrs: string[]) => configOf(withCidrs(cidrs)).hosts.adminCidrs;
    const fix = "pulumi config rm shithubd:adminCidrs -s production && pulumi config set --path 'shithubd:adminCidrs[0]' 203.0.113.10/32 -s production";
    expect(refuse(["198.51.100.0/24", "::/0"]).map((p) => [p.key, p.message, p.fix])).toEqual([[
      "shithubd:adminCidrs",
      "admits 100% of all IPv6 addresses together (more than a /24), which opens root SSH to the internet in effect; production refuses it: list the admin networks",
      fix,
    ]]);
    // Two halves are the whole; overlapping ranges are counted once.
    expect(refuse(["0.0.0.0/1", "128.0.0.0/1"]).map((p) => p.message)).toEqual([expect.stringMatching(/^admits 100% of all IPv4 addresses together/)]);
    expect(refuse(["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2"]).map((p) => p.message)).toEqual([expect.stringMatching(/^admits 75% of all IPv4/)]);
    expect(accept(["10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9"])).toEqual(["10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9"]);
    expect(refuse(["10.0.0.0/8", "11.0.0.0/32"]).map((p) => p.message)).toEqual([expect.stringMatching(/^admits 0\.39% of all IPv4 addresses together \(more than a \/8\)/)]);
    expect(accept(["198.51.100.0/24", "2001:db8::/32"])).toEqual(["198.51.100.0/24", "2001:db8::/32"]);
  });

  it("staging may open SSH widely", () => {
    expect(configOf(rawConfig({ set: { "shithubd:adminCidrs": JSON.stringify(["0.0.0.0/0"]) } })).hosts.adminCidrs).toEqual(["0.0.0.0/0"]);
  });

  it.each([
    ["shithubd:adminCidrs", ["10.0.0.1"], /CIDR/],
    ["shithubd:adminCidrs", ["10.0.0.0/33"], /^has a prefix longer than an IPv4 address \(\/32 at most\)$/],
    ["shithubd:adminCidrs", ["256.1.2.0/24"], /CIDR/],
    ["shithubd:adminCidrs", ["10.0.0.5/24"], /^has host bits set: the network it names is 10\.0\.0\.0\/24$/],
    ["shithubd:adminCidrs", ["2001:db8::1/64"], /^has host bits set: the network it names is 2001:db8::\/64$/],
    ["shithubd:adminCidrs", ["2001:db8::/129"], /\/128 at most/],
    ["shithubd:sshKeys", ["ssh-ed25519 AAAA"], /fingerprint/],
    ["shithubd:alertEmails", ["ops"], /must be a mail address/],
  ])("%s %j is refused", (key, value, message) => {
    const [p, ...rest] = problemsOf(rawConfig({ set: { [key]: JSON.stringify(value) } }));
    expect(rest).toEqual([]);
    expect(p!.key).toBe(`${key}[0]`);
    expect(p!.message).toMatch(message);
  });

  it.each(["shithubd:sshKeys", "shithubd:adminCidrs", "shithubd:alertEmails", "shithubd:hosts"])("%s is required", (key) => {
    const [p, ...rest] = problemsOf(rawConfig({ drop: [key] }));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ key, message: "is required but is not set", kind: "missing" });
    expect(p!.fix).toMatch(new RegExp(`^pulumi config set --path '${key}\\[0\\]`));
  });

  it("a DNS zone must contain the domain", () => {
    const [p] = problemsOf(rawConfig({ set: { "shithubd:dnsZone": "example.org" } }));
    expect(p).toMatchObject({ key: "shithubd:dnsZone", message: "does not contain shithubd:domain (staging.shithub.sh)" });
  });

  it("a VPC range must be private", () => {
    const [p] = problemsOf(rawConfig({ set: { "shithubd:vpcIpRange": "8.8.8.0/24" } }));
    expect(p!.message).toBe("must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)");
    expect(configOf(rawConfig({ set: { "shithubd:vpcIpRange": "172.16.4.0/22" } })).vpcIpRange).toBe("172.16.4.0/22");
  });
});

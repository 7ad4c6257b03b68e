import { renderCloudFirewall } from "../../tests/host/cloudFirewall";
import { mockResource } from "../../offline/mockState";

// The test cloud's stand-in for DigitalOcean's firewalls: what it enforces is what the plan declares, and nothing else.
const DROPLET = "digitalocean:index/droplet:Droplet";
const id = (name: string) => Number(mockResource(DROPLET, name, {}).id);
const droplets = [{ name: "a", publicIp: "10.213.0.2", privateIp: "10.9.0.2" }, { name: "b", publicIp: "10.213.0.3", privateIp: "10.9.0.3" }];
const firewall = (name: string, ids: number[], inbound: unknown[], outbound?: unknown[]) => ({
  type: "digitalocean:index/firewall:Firewall", name, custom: true,
  inputs: { name, dropletIds: ids, inboundRules: inbound, ...(outbound !== undefined ? { outboundRules: outbound } : {}) },
});

describe("the test cloud's firewalls", () => {
  const plan = {
    resources: [
      firewall("base", [id("a"), id("b")], [{ protocol: "tcp", portRange: "22", sourceAddresses: ["10.213.0.1/32"] }],
        [{ protocol: "tcp", portRange: "443", destinationAddresses: ["0.0.0.0/0", "::/0"] }, { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] }]),
      firewall("db", [id("b")], [{ protocol: "tcp", portRange: "5432", sourceAddresses: ["10.9.0.2/32"] }]),
    ],
  };
  const rules = renderCloudFirewall(plan, droplets);
  const chain = (name: string) => rules.slice(rules.indexOf(`chain ${name} {`)).split("\n\t}")[0]!.split("\n").slice(1).map((l) => l.trim()).filter((l) => l !== "");

  it("lets a droplet's traffic through only by its own firewalls' rules, each chain ending in a drop", () => {
    expect(chain("in_a")).toEqual(["tcp dport 22 ip saddr { 10.213.0.1/32 } return", "counter drop"]);
    expect(chain("in_b")).toEqual(["tcp dport 22 ip saddr { 10.213.0.1/32 } return", "tcp dport 5432 ip saddr { 10.9.0.2/32 } return", "counter drop"]);
    expect(chain("out_a")).toEqual(["tcp dport 443 ip daddr { 0.0.0.0/0 } return", "ip protocol icmp ip daddr { 0.0.0.0/0 } return", "counter drop"]);
  });

  it("checks both ends, replies first, and names each droplet by both its addresses", () => {
    expect(chain("droplets")).toEqual([
      "ct state established,related accept", "ip daddr 169.254.169.254 accept",
      "ip saddr { 10.213.0.2, 10.9.0.2 } jump out_a", "ip saddr { 10.213.0.3, 10.9.0.3 } jump out_b",
      "ip daddr { 10.213.0.2, 10.9.0.2 } jump in_a", "ip daddr { 10.213.0.3, 10.9.0.3 } jump in_b",
    ]);
  });

  it("refuses a plan whose firewall names a droplet the cloud did not boot", () => {
    expect(() => renderCloudFirewall({ resources: [firewall("x", [12345], [])] }, droplets)).toThrow(/names droplet 12345/);
  });
});

import { mockResource } from "../../offline/mockState";
import type { Plan } from "./applyPlan";

/**
 * DigitalOcean's cloud firewalls, as the test cloud enforces them: exactly the Firewall resources
 * the plan declares, inbound and outbound, per droplet, with nftables on this host. A droplet's
 * traffic passes when every firewall of its is silent about it in no direction: it leaves only by
 * an outbound rule of one of its firewalls and arrives only by an inbound rule of one of the
 * destination's, as DigitalOcean applies the union of a droplet's firewalls to its public and VPC
 * interfaces alike. Replies pass (the firewalls are stateful), and so does the metadata service,
 * which DigitalOcean's firewalls do not filter. The bridges see the droplets' IPv4 traffic through
 * the host's IP hooks (br_netfilter), so rules name the droplets by their addresses.
 */

const DROPLET = "digitalocean:index/droplet:Droplet";
const FIREWALL = "digitalocean:index/firewall:Firewall";
export const CLOUD_FIREWALL_TABLE = "shithub_cloud_firewall";
/** DigitalOcean's metadata service, on its link-local address (cloud.sh puts it on the public network). */
export const METADATA_IP = "169.254.169.254";

interface Rule {
  readonly protocol: string;
  readonly portRange?: string;
  readonly addresses: readonly string[];
}

/** A droplet of the test cloud: its name and both its addresses. */
export interface FirewalledDroplet {
  readonly name: string;
  readonly publicIp: string;
  readonly privateIp: string;
}

/** One nft rule that lets a packet on: protocol, ports, and the far end's addresses (IPv4 only: the test networks have no IPv6). */
function match(rule: Rule, far: "saddr" | "daddr"): string | undefined {
  const v4 = rule.addresses.filter((a) => !a.includes(":"));
  if (v4.length === 0) return undefined;
  const to = `ip ${far} { ${v4.join(", ")} }`;
  if (rule.protocol === "icmp") return `ip protocol icmp ${to} return`;
  if (rule.protocol !== "tcp" && rule.protocol !== "udp") throw new Error(`a firewall rule with protocol ${rule.protocol}`);
  const ports = rule.portRange === undefined || rule.portRange === "all" || rule.portRange === "0" ? "1-65535" : rule.portRange;
  return `${rule.protocol} dport ${ports} ${to} return`;
}

/** The plan's firewalls as an nft ruleset for `droplets` (the test cloud's addresses). */
export function renderCloudFirewall(plan: Pick<Plan, "resources">, droplets: readonly FirewalledDroplet[]): string {
  const byId = new Map(droplets.map((d) => [Number(mockResource(DROPLET, d.name, {}).id), d]));
  const inbound = new Map<string, Rule[]>(droplets.map((d) => [d.name, []]));
  const outbound = new Map<string, Rule[]>(droplets.map((d) => [d.name, []]));
  // A droplet no firewall names is open, as on DigitalOcean (a box the plan does not own: a takeover's old one).
  const covered = new Set<string>();
  for (const fw of plan.resources.filter((r) => r.type === FIREWALL)) {
    const ids = (fw.inputs.dropletIds as number[] | undefined) ?? [];
    const ins = ((fw.inputs.inboundRules as Array<{ protocol: string; portRange?: string; sourceAddresses?: string[] }> | undefined) ?? [])
      .map((r) => ({ protocol: r.protocol, ...(r.portRange !== undefined ? { portRange: r.portRange } : {}), addresses: r.sourceAddresses ?? [] }));
    const outs = ((fw.inputs.outboundRules as Array<{ protocol: string; portRange?: string; destinationAddresses?: string[] }> | undefined) ?? [])
      .map((r) => ({ protocol: r.protocol, ...(r.portRange !== undefined ? { portRange: r.portRange } : {}), addresses: r.destinationAddresses ?? [] }));
    for (const id of ids) {
      const d = byId.get(Number(id));
      if (d === undefined) throw new Error(`firewall ${String(fw.inputs.name)} names droplet ${id}, which the test cloud did not boot`);
      covered.add(d.name);
      inbound.get(d.name)!.push(...ins);
      outbound.get(d.name)!.push(...outs);
    }
  }
  const chain = (name: string, rules: readonly Rule[], far: "saddr" | "daddr") =>
    [`\tchain ${name} {`, ...rules.flatMap((r) => match(r, far) ?? []).map((l) => `\t\t${l}`), `\t\tcounter drop`, "\t}"];
  const slug = (name: string) => name.replace(/[^A-Za-z0-9]/g, "_");
  const ruled = () => droplets.filter((d) => covered.has(d.name));
  const addresses = (d: FirewalledDroplet) => `{ ${d.publicIp}, ${d.privateIp} }`;
  return [
    `table inet ${CLOUD_FIREWALL_TABLE}`,
    `delete table inet ${CLOUD_FIREWALL_TABLE}`,
    `table inet ${CLOUD_FIREWALL_TABLE} {`,
    ...["forward", "input", "output"].map((hook) => `\tchain ${hook} {\n\t\ttype filter hook ${hook} priority 0; policy accept;\n\t\tjump droplets\n\t}`),
    "\tchain droplets {",
    "\t\tct state established,related accept",
    `\t\tip daddr ${METADATA_IP} accept`,
    ...ruled().map((d) => `\t\tip saddr ${addresses(d)} jump out_${slug(d.name)}`),
    ...ruled().map((d) => `\t\tip daddr ${addresses(d)} jump in_${slug(d.name)}`),
    "\t}",
    ...ruled().flatMap((d) => [...chain(`out_${slug(d.name)}`, outbound.get(d.name)!, "daddr"), ...chain(`in_${slug(d.name)}`, inbound.get(d.name)!, "saddr")]),
    "}",
    "",
  ].join("\n");
}

import type { HostSpec, Role } from "./topology";

export const ANYWHERE = ["0.0.0.0/0", "::/0"] as const;

/** Where inbound traffic may come from: fixed networks, or other hosts' VPC addresses. */
export type Source =
  | { readonly kind: "cidrs"; readonly cidrs: readonly string[] }
  | { readonly kind: "privateAddressOf"; readonly hosts: readonly string[] };

export interface InboundRule {
  readonly protocol: "tcp" | "udp";
  readonly ports: string;
  readonly source: Source;
  readonly why: string;
}

/** One DigitalOcean cloud firewall: its rules, and the hosts it applies to. */
export interface FirewallPlan {
  /** Suffix of the firewall's name: `base` or a role. */
  readonly id: "base" | Role;
  readonly hosts: readonly string[];
  readonly inbound: readonly InboundRule[];
  /** Outbound is open for every host (package mirrors, Spaces, mail APIs): only `base` carries it. */
  readonly outboundOpen: boolean;
}

const names = (hosts: readonly HostSpec[]): string[] => hosts.map((h) => h.name);

/**
 * The firewalls of an environment, derived from roles: nothing is listed per host, so a host's
 * exposure follows from what it runs. Postgres listens only for the app and backup hosts that
 * are not the db host itself (on a shared host it stays on localhost and no rule exists).
 */
export function firewallPlans(hosts: readonly HostSpec[], adminCidrs: readonly string[]): FirewallPlan[] {
  const withRole = (role: Role): HostSpec[] => hosts.filter((h) => h.roles.includes(role));
  // The app hosts and the backup host (its dumps) reach Postgres, unless they are the db host.
  const dbClients = hosts.filter((h) => !h.roles.includes("db") && (h.roles.includes("app") || h.roles.includes("backup")));
  const web = (ports: string, why: string): InboundRule => ({ protocol: "tcp", ports, source: { kind: "cidrs", cidrs: ANYWHERE }, why });
  const perRole: ReadonlyArray<readonly [Role, InboundRule[]]> = [
    ["app", [web("80", "HTTP (redirect to HTTPS, ACME)"), web("443", "HTTPS")]],
    ["db", dbClients.length === 0 ? [] : [
      { protocol: "tcp", ports: "5432", source: { kind: "privateAddressOf", hosts: names(dbClients) }, why: "PostgreSQL from the app and backup hosts, over the VPC" },
    ]],
    ["monitoring", [{ protocol: "udp", ports: "51820", source: { kind: "cidrs", cidrs: ANYWHERE }, why: "WireGuard to the metrics box" }]],
  ];
  const base: FirewallPlan = {
    id: "base",
    hosts: names(hosts),
    inbound: [{ protocol: "tcp", ports: "22", source: { kind: "cidrs", cidrs: adminCidrs }, why: "SSH from the admin networks" }],
    outboundOpen: true,
  };
  return [
    base,
    ...perRole
      .filter(([role, inbound]) => inbound.length > 0 && withRole(role).length > 0)
      .map(([role, inbound]): FirewallPlan => ({ id: role, hosts: names(withRole(role)), inbound, outboundOpen: false })),
  ];
}

/** `port/protocol` -> who may reach it, for one host: the union of its firewalls, as DigitalOcean applies them. */
export function exposureOf(plans: readonly FirewallPlan[], host: string): Map<string, string[]> {
  const open = new Map<string, string[]>();
  for (const plan of plans.filter((p) => p.hosts.includes(host))) {
    for (const rule of plan.inbound) {
      const key = `${rule.ports}/${rule.protocol}`;
      const from = rule.source.kind === "cidrs" ? [...rule.source.cidrs] : rule.source.hosts.map((h) => `private address of ${h}`);
      open.set(key, [...(open.get(key) ?? []), ...from]);
    }
  }
  return open;
}

/** Ports of a host that anyone on the internet can reach. */
export function publicPorts(plans: readonly FirewallPlan[], host: string): string[] {
  return [...exposureOf(plans, host)]
    .filter(([, from]) => from.some((cidr) => cidr.endsWith("/0")))
    .map(([port]) => port)
    .sort();
}

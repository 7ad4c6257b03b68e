import { modulesFor } from "../roles";
import type { RoleOptions } from "../roles";
import { databaseClients } from "../roles/db";
import type { Opening } from "../roles/role";
import { ROLES } from "./topology";
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
 * The firewalls of an environment, one per topology role, from the openings its role modules
 * declare (components/roles): nothing is listed per host, so a host's exposure follows from what
 * it runs. Postgres listens only for the app and backup hosts that are not the db host itself
 * (on a shared host it stays on localhost and no rule exists).
 */
export function firewallPlans(hosts: readonly HostSpec[], adminCidrs: readonly string[], roles: RoleOptions): FirewallPlan[] {
  const clients = [...new Set(databaseClients(hosts).map((c) => c.host))];
  const rule = (o: Opening): InboundRule | undefined => {
    if (o.from === "anywhere") return { protocol: o.protocol, ports: o.ports, source: { kind: "cidrs", cidrs: ANYWHERE }, why: o.why };
    return clients.length === 0 ? undefined : { protocol: o.protocol, ports: o.ports, source: { kind: "privateAddressOf", hosts: clients }, why: o.why };
  };
  const base: FirewallPlan = {
    id: "base",
    hosts: names(hosts),
    inbound: [{ protocol: "tcp", ports: "22", source: { kind: "cidrs", cidrs: adminCidrs }, why: "SSH from the admin networks" }],
    outboundOpen: true,
  };
  const perRole = ROLES.flatMap((role): FirewallPlan[] => {
    const withRole = hosts.filter((h) => h.roles.includes(role));
    const inbound = modulesFor(role, roles).flatMap((m) => m.openings).flatMap((o) => rule(o) ?? []);
    return withRole.length === 0 || inbound.length === 0 ? [] : [{ id: role, hosts: names(withRole), inbound, outboundOpen: false }];
  });
  return [base, ...perRole];
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

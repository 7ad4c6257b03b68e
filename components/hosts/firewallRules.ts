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

/** Where a host may connect to: any address, the environment's VPC, or fixed addresses. */
export interface OutboundRule {
  readonly protocol: "tcp" | "udp" | "icmp";
  /** Unset for icmp. */
  readonly ports?: string;
  readonly destination: "anywhere" | "vpc" | { readonly cidrs: readonly string[] };
  readonly why: string;
}

/**
 * What every host needs to reach: name resolution, time, the distribution's mirrors, Spaces
 * and any other HTTPS API (443), path MTU discovery, and the other hosts over the VPC. Not SMTP,
 * IRC or a reverse shell's port of choice: a compromised db or backup host cannot use them.
 */
export const BASE_EGRESS: readonly OutboundRule[] = [
  { protocol: "udp", ports: "53", destination: "anywhere", why: "DNS" },
  { protocol: "tcp", ports: "53", destination: "anywhere", why: "DNS over TCP (large answers)" },
  { protocol: "udp", ports: "123", destination: "anywhere", why: "NTP" },
  { protocol: "tcp", ports: "80", destination: "anywhere", why: "the distribution's mirrors" },
  { protocol: "tcp", ports: "443", destination: "anywhere", why: "Spaces, HTTPS mirrors and APIs" },
  { protocol: "icmp", destination: "anywhere", why: "path MTU discovery, ping" },
  { protocol: "tcp", ports: "1-65535", destination: "vpc", why: "the other hosts (Postgres, metrics)" },
  { protocol: "udp", ports: "1-65535", destination: "vpc", why: "the other hosts" },
];

/** Any address, any port: for hosts whose role says why it needs it (RoleModule.openEgress). */
export const OPEN_EGRESS: readonly OutboundRule[] = [
  { protocol: "tcp", ports: "1-65535", destination: "anywhere", why: "any" },
  { protocol: "udp", ports: "1-65535", destination: "anywhere", why: "any" },
  { protocol: "icmp", destination: "anywhere", why: "any" },
];

/** One DigitalOcean cloud firewall: its rules, and the hosts it applies to. */
export interface FirewallPlan {
  /** Suffix of the firewall's name: `base`, a role, or `takeover` while one runs. */
  readonly id: "base" | Role | "takeover";
  readonly hosts: readonly string[];
  readonly inbound: readonly InboundRule[];
  /** DigitalOcean applies the union of a host's firewalls: `base` gives every host BASE_EGRESS, a role's may add more. */
  readonly outbound: readonly OutboundRule[];
}

const names = (hosts: readonly HostSpec[]): string[] => hosts.map((h) => h.name);

/**
 * The firewalls of an environment, one per topology role, from the openings its role modules
 * declare (components/roles): nothing is listed per host, so a host's exposure follows from what
 * it runs. Postgres listens only for the app and backup hosts that are not the db host itself
 * (on a shared host it stays on localhost and no rule exists); the monitoring host's Prometheus
 * only for the other hosts' agents.
 */
export function firewallPlans(hosts: readonly HostSpec[], adminCidrs: readonly string[], roles: RoleOptions): FirewallPlan[] {
  const clients = [...new Set(databaseClients(hosts).map((c) => c.host))];
  const rule = (o: Opening, role: Role): InboundRule | undefined => {
    if (o.from === "anywhere") return { protocol: o.protocol, ports: o.ports, source: { kind: "cidrs", cidrs: ANYWHERE }, why: o.why };
    // The role's own hosts reach it on loopback.
    const from = o.from === "databaseClients" ? clients : names(hosts.filter((h) => !h.roles.includes(role)));
    return from.length === 0 ? undefined : { protocol: o.protocol, ports: o.ports, source: { kind: "privateAddressOf", hosts: from }, why: o.why };
  };
  const base: FirewallPlan = {
    id: "base",
    hosts: names(hosts),
    inbound: [{ protocol: "tcp", ports: "22", source: { kind: "cidrs", cidrs: adminCidrs }, why: "SSH from the admin networks" }],
    outbound: BASE_EGRESS,
  };
  const perRole = ROLES.flatMap((role): FirewallPlan[] => {
    const withRole = hosts.filter((h) => h.roles.includes(role));
    const modules = modulesFor(role, roles);
    const inbound = modules.flatMap((m) => m.openings).flatMap((o) => rule(o, role) ?? []);
    const outbound: OutboundRule[] = modules.some((m) => m.openEgress !== undefined) ? [...OPEN_EGRESS]
      : modules.flatMap((m) => m.egress?.(roles) ?? []).map((e) => ({ ...e, destination: "anywhere" as const }));
    return withRole.length === 0 || inbound.length + outbound.length === 0 ? [] : [{ id: role, hosts: names(withRole), inbound, outbound }];
  });
  // A takeover (docs/runbooks/takeover.md): the db host's subscription and the app host's repository copy
  // reach the live box through SSH, its one port they need; the rule goes when the takeover ends.
  const copying = hosts.filter((h) => h.roles.includes("app") || h.roles.includes("db"));
  const takeover: FirewallPlan[] = roles.takeoverSource === undefined ? [] : [{
    id: "takeover",
    hosts: names(copying),
    inbound: [],
    outbound: [{ protocol: "tcp", ports: "22", destination: { cidrs: [roles.takeoverSource] }, why: "SSH to the live box being taken over" }],
  }];
  return [base, ...perRole, ...takeover];
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

/** `port/protocol` -> where a host may connect to: the union of its firewalls' outbound rules. */
export function egressOf(plans: readonly FirewallPlan[], host: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const plan of plans.filter((p) => p.hosts.includes(host))) {
    for (const rule of plan.outbound) {
      const key = `${rule.ports ?? "all"}/${rule.protocol}`;
      const to = out.get(key) ?? [];
      const destination = typeof rule.destination === "string" ? rule.destination : rule.destination.cidrs.join(" ");
      if (!to.includes(destination)) out.set(key, [...to, destination]);
    }
  }
  return out;
}

/** Ports of a host that anyone on the internet can reach. */
export function publicPorts(plans: readonly FirewallPlan[], host: string): string[] {
  return [...exposureOf(plans, host)]
    .filter(([, from]) => from.some((cidr) => cidr.endsWith("/0")))
    .map(([port]) => port)
    .sort();
}

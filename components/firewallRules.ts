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
  const plans: FirewallPlan[] = [
    {
      id: "base",
      hosts: names(hosts),
      inbound: [{ protocol: "tcp", ports: "22", source: { kind: "cidrs", cidrs: adminCidrs }, why: "SSH from the admin networks" }],
      outboundOpen: true,
    },
  ];
  const apps = withRole("app");
  if (apps.length > 0) {
    plans.push({
      id: "app",
      hosts: names(apps),
      inbound: [
        { protocol: "tcp", ports: "80", source: { kind: "cidrs", cidrs: ANYWHERE }, why: "HTTP (redirect to HTTPS, ACME)" },
        { protocol: "tcp", ports: "443", source: { kind: "cidrs", cidrs: ANYWHERE }, why: "HTTPS" },
      ],
      outboundOpen: false,
    });
  }
  const db = withRole("db");
  // The app hosts and the backup host (its dumps) reach Postgres, unless they are the db host.
  const clients = hosts.filter((h) => !h.roles.includes("db") && (h.roles.includes("app") || h.roles.includes("backup")));
  if (db.length > 0 && clients.length > 0) {
    plans.push({
      id: "db",
      hosts: names(db),
      inbound: [{ protocol: "tcp", ports: "5432", source: { kind: "privateAddressOf", hosts: names(clients) }, why: "PostgreSQL from the app and backup hosts, over the VPC" }],
      outboundOpen: false,
    });
  }
  const monitoring = withRole("monitoring");
  if (monitoring.length > 0) {
    plans.push({
      id: "monitoring",
      hosts: names(monitoring),
      inbound: [{ protocol: "udp", ports: "51820", source: { kind: "cidrs", cidrs: ANYWHERE }, why: "WireGuard to the metrics box" }],
      outboundOpen: false,
    });
  }
  return plans;
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

import { ADMIN_LIMIT, parseCidr, unionSize } from "../components/config/addressRanges";
import type { AddressRange } from "../components/config/addressRanges";

/**
 * The stack's invariants as plain functions of what a preview registers: the policy pack
 * (policy/index.ts) runs them under `pulumi preview --policy-pack policy`, and the mock tier runs
 * them against both stacks' offline plans and against broken copies.
 */

/** A resource as a policy sees it at preview: its type, name, inputs and whether it is protected. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly protect: boolean;
}

export interface Violation {
  readonly policy: string;
  readonly resource: string;
  readonly message: string;
}

const FIREWALL = "digitalocean:index/firewall:Firewall";

interface Rule {
  readonly protocol?: string;
  readonly portRange?: string;
  readonly sourceAddresses?: readonly string[];
}

function covers(portRange: string | undefined, port: number): boolean {
  if (portRange === undefined || portRange === "all" || portRange === "1-65535") return true;
  const [low, high] = portRange.split("-").map(Number);
  return low !== undefined && port >= low && port <= (high ?? low);
}

/**
 * Whether addresses together admit the internet: more than a /8 of IPv4 or a /24 of IPv6 (the
 * production limit on adminCidrs), however they are written (0.0.0.0/1 and 128.0.0.0/1 are
 * 0.0.0.0/0). A source that does not read as an address or range counts as the internet.
 */
function admitsInternet(sources: readonly string[]): boolean {
  const ranges: AddressRange[] = [];
  for (const source of sources) {
    const range = parseCidr(source.includes("/") ? source : `${source}/${source.includes(":") ? 128 : 32}`);
    if (typeof range === "string") return true;
    ranges.push(range);
  }
  const size = unionSize(ranges);
  return size[4] > ADMIN_LIMIT[4] || size[6] > ADMIN_LIMIT[6];
}

/** The inbound tcp rules that reach `port`, when together they admit the internet. */
const publicRules = (r: PolicyResource, port: number): Rule[] => {
  const reaching = ((r.inputs.inboundRules ?? []) as Rule[]).filter((rule) => (rule.protocol ?? "tcp") === "tcp" && covers(rule.portRange, port));
  return admitsInternet(reaching.flatMap((rule) => rule.sourceAddresses ?? [])) ? reaching : [];
};

/** Things a stack must never hold, whatever its config: each is a way to lose the forge or its data. */
export const POLICIES: ReadonlyArray<{ readonly name: string; readonly description: string; readonly check: (r: PolicyResource, stack: { readonly name: string; readonly production: boolean }) => string | undefined }> = [
  {
    name: "no-public-ssh-except-git",
    description: "Port 22 is open to the internet only on the app hosts' firewall, for git over SSH (root logs in from adminCidrs only)",
    check: (r, stack) => (r.type === FIREWALL && r.name !== `shithub-${stack.name}-app` && publicRules(r, 22).length > 0
      ? "opens 22/tcp to the internet: only the app firewall may, for git over SSH" : undefined),
  },
  {
    name: "no-public-postgres",
    description: "Port 5432 is never open to the internet",
    check: (r) => (r.type === FIREWALL && publicRules(r, 5432).length > 0 ? "opens 5432/tcp (PostgreSQL) to the internet" : undefined),
  },
  {
    name: "stateful-protected-in-production",
    description: "In production, volumes, buckets and their delete guards are protected from deletion by the stack",
    check: (r, stack) => (stack.production && ["digitalocean:index/volume:Volume", "digitalocean:index/spacesBucket:SpacesBucket", "aws:s3/bucketPolicy:BucketPolicy"].includes(r.type) && !r.protect
      ? "holds state (data, backups or what guards them) and is not protected" : undefined),
  },
  {
    name: "buckets-private",
    description: "Every bucket is private and is never force-destroyed",
    check: (r) => (r.type === "digitalocean:index/spacesBucket:SpacesBucket" && (r.inputs.acl !== "private" || r.inputs.forceDestroy === true)
      ? `is ${r.inputs.acl !== "private" ? `acl ${String(r.inputs.acl)}` : "forceDestroy"}: buckets stay private and are never emptied by a destroy` : undefined),
  },
];

/** Which stack the resources are, and whether it is production: from the DigitalOcean project the program makes (shithub-<stack>). */
export function stackOf(resources: readonly PolicyResource[]): { readonly name: string; readonly production: boolean } {
  const project = resources.find((r) => r.type === "digitalocean:index/project:Project");
  return { name: String(project?.inputs.name ?? "").replace(/^shithub-/, ""), production: project?.inputs.environment === "Production" };
}

/** Every violation in a stack's resources. */
export function violations(resources: readonly PolicyResource[], stack: { readonly name: string; readonly production: boolean }): Violation[] {
  return resources.flatMap((r) => POLICIES.flatMap((p) => {
    const message = p.check(r, stack);
    return message === undefined ? [] : [{ policy: p.name, resource: `${r.type} ${r.name}`, message }];
  }));
}

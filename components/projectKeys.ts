import { Region } from "@pulumi/digitalocean";
import { valid as validSemver } from "semver";

/** The project's config namespace: `Pulumi.yaml` `name:`, so `shithubd:*` keys can be declared there. */
export const NAMESPACE = "shithubd";

/**
 * An infrastructure key of the `shithubd:` namespace (env vars are `shithubd:SHITHUB_*`).
 * Keys with a default are declared in Pulumi.yaml too (tests keep both in step); keys without
 * one are checked here only, so a missing one gets our message with its fix, not the CLI's.
 */
export interface ProjectKey {
  readonly name: string;
  readonly description: string;
  /** Its type in Pulumi.yaml when declared there. */
  readonly type: "string" | "integer";
  readonly default?: string;
  /** Neither required nor defaulted: absent means the feature is off. */
  readonly optional?: boolean;
  /** A value to show in a fix command. */
  readonly example: string;
  readonly check: (value: string) => string | undefined;
}

const REGIONS: readonly string[] = Object.values(Region);
const PRIVATE_CIDR = /^(10\.\d{1,3}|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d{1,3}\.\d{1,3}\/(1[6-9]|2[0-8])$/;

function wholeNumber(v: string, min: number, max: number): string | undefined {
  return /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `must be a whole number between ${min} and ${max}`;
}
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const PROJECT_KEYS: readonly ProjectKey[] = [
  {
    name: "version",
    type: "string",
    description: "The shithubd release this stack runs, e.g. v1.8.0. A release is a change of this key.",
    example: "v1.8.0",
    check: (v) => (/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v) && validSemver(v) ? undefined : "must be a release tag such as v1.8.0"),
  },
  {
    name: "domain",
    type: "string",
    description: "Public DNS name of the forge; gives SHITHUB_AUTH__BASE_URL and SHITHUB_AUTH__SSH__HOST.",
    example: "shithub.example.org",
    check: (v) => (HOSTNAME.test(v) ? undefined : "must be a lower-case DNS name such as shithub.example.org"),
  },
  {
    name: "region",
    type: "string",
    description: "DigitalOcean region of the environment's hosts.",
    default: "nyc3",
    example: "nyc3",
    check: (v) => (REGIONS.includes(v) ? undefined : `must be a DigitalOcean region: ${REGIONS.join(", ")}`),
  },
  {
    name: "image",
    type: "string",
    description: "Droplet image of new hosts. Existing hosts keep theirs (a new image would rebuild them).",
    default: "ubuntu-24-04-x64",
    example: "ubuntu-24-04-x64",
    check: (v) => (/^[a-z0-9][a-z0-9.-]*$/.test(v) ? undefined : "must be a DigitalOcean image slug such as ubuntu-24-04-x64"),
  },
  {
    name: "swapGib",
    type: "integer",
    description: "Swap file size on every host, in GiB (0 for none).",
    default: "2",
    example: "2",
    check: (v) => wholeNumber(v, 0, 64),
  },
  {
    name: "dnsZone",
    type: "string",
    description: "A DigitalOcean-managed DNS zone holding shithubd:domain; unset: the records to create are stack outputs.",
    optional: true,
    example: "shithub.example.org",
    check: (v) => (HOSTNAME.test(v) ? undefined : "must be a lower-case DNS zone such as shithub.example.org"),
  },
  {
    name: "vpcIpRange",
    type: "string",
    description: "Private range of the environment's VPC (RFC 1918, /16 to /28); unset: DigitalOcean picks one.",
    optional: true,
    example: "10.10.0.0/24",
    check: (v) => (PRIVATE_CIDR.test(v) ? undefined : "must be a private IPv4 range from /16 to /28, e.g. 10.10.0.0/24"),
  },
];

/** `shithubd:version` */
export function qualified(name: string): string {
  return `${NAMESPACE}:${name}`;
}

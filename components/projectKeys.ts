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
  readonly default?: string;
  /** A value to show in a fix command. */
  readonly example: string;
  readonly check: (value: string) => string | undefined;
}

const REGIONS: readonly string[] = Object.values(Region);
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const PROJECT_KEYS: readonly ProjectKey[] = [
  {
    name: "version",
    description: "The shithubd release this stack runs, e.g. v1.8.0. A release is a change of this key.",
    example: "v1.8.0",
    check: (v) => (/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v) && validSemver(v) ? undefined : "must be a release tag such as v1.8.0"),
  },
  {
    name: "domain",
    description: "Public DNS name of the forge; gives SHITHUB_AUTH__BASE_URL and SHITHUB_AUTH__SSH__HOST.",
    example: "shithub.example.org",
    check: (v) => (HOSTNAME.test(v) ? undefined : "must be a lower-case DNS name such as shithub.example.org"),
  },
  {
    name: "region",
    description: "DigitalOcean region of the environment's hosts.",
    default: "nyc3",
    example: "nyc3",
    check: (v) => (REGIONS.includes(v) ? undefined : `must be a DigitalOcean region: ${REGIONS.join(", ")}`),
  },
];

/** `shithubd:version` */
export function qualified(name: string): string {
  return `${NAMESPACE}:${name}`;
}

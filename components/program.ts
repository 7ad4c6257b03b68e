import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stackConfig";
import { ShithubEnvironment } from "./environment";
import { ConfigError } from "./config/problems";
import { rawConfigFromRuntime } from "./config/runtimeConfig";
import { loadEnvTemplates } from "./env/envTemplate";
import type { EnvFileName } from "./env/envTemplate";

/** What an operator needs of a host. */
export interface HostOutput {
  readonly roles: readonly string[];
  readonly publicIpv4: pulumi.Output<string>;
  readonly privateIpv4: pulumi.Output<string>;
  readonly reservedIpv4?: pulumi.Output<string>;
}

/** The stack outputs: never a secret. */
export interface StackOutputs {
  readonly version: string;
  readonly region: string;
  readonly domain: string;
  readonly baseUrl: string;
  /** Which variables each env file sets (names only). */
  readonly envFileVariables: Readonly<Record<EnvFileName, readonly string[]>>;
  readonly hosts: Readonly<Record<string, HostOutput>>;
  /** A records for the domain; created in DigitalOcean when shithubd:dnsZone is set, else to create by hand. */
  readonly dnsRecords: ReadonlyArray<{ type: string; name: string; value: pulumi.Output<string> }>;
  readonly dnsManagedHere: boolean;
  /** Spaces buckets by role: name and region. */
  readonly buckets: Readonly<Record<string, { name: string; region: string }>>;
}

export interface Program {
  readonly environment: ShithubEnvironment;
  readonly outputs: StackOutputs;
}

/**
 * The Pulumi program: validate the whole stack config first (so a bad value stops the run
 * before any resource is registered), then build the environment. index.ts runs it under
 * `pulumi`; the offline plan and the tests run the same function under mocks.
 */
export function program(opts?: pulumi.ComponentResourceOptions): Program {
  const templates = loadEnvTemplates();
  let config;
  try {
    config = readStackConfig(rawConfigFromRuntime(), templates);
  } catch (err) {
    // RunError: the CLI prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const environment = new ShithubEnvironment(config.stack, { config, templates }, opts);
  return {
    environment,
    outputs: {
      version: config.version,
      region: config.region,
      domain: config.domain,
      baseUrl: `https://${config.domain}`,
      envFileVariables: environment.envFileNames,
      hosts: Object.fromEntries(environment.hosts.map((h) => [h.spec.name, {
        roles: h.spec.roles,
        publicIpv4: h.droplet.ipv4Address,
        privateIpv4: h.droplet.ipv4AddressPrivate,
        ...(h.reservedIp ? { reservedIpv4: h.reservedIp.ipAddress } : {}),
      }])),
      dnsRecords: environment.dnsRecords,
      dnsManagedHere: config.dnsZone !== undefined,
      buckets: Object.fromEntries(config.backups.buckets.map((b) => [b.id, { name: b.name, region: b.region }])),
    },
  };
}

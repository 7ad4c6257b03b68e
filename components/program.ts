import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config";
import { ShithubEnvironment } from "./environment";
import { ConfigError } from "./problems";
import { rawConfigFromRuntime } from "./runtimeConfig";
import { loadEnvTemplates } from "./templates";
import type { EnvFileName } from "./templates";

/** The stack outputs: all plain values, never a secret. */
export interface StackOutputs {
  readonly version: string;
  readonly region: string;
  readonly domain: string;
  readonly baseUrl: string;
  /** Which variables each env file sets (names only). */
  readonly envFileVariables: Readonly<Record<EnvFileName, readonly string[]>>;
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
export function program(): Program {
  const templates = loadEnvTemplates();
  let config;
  try {
    config = readStackConfig(rawConfigFromRuntime(), templates);
  } catch (err) {
    // RunError: the CLI prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  const environment = new ShithubEnvironment(config.stack, { config, templates });
  return {
    environment,
    outputs: {
      version: config.version,
      region: config.region,
      domain: config.domain,
      baseUrl: `https://${config.domain}`,
      envFileVariables: { web: environment.envFiles.web.names, worker: environment.envFiles.worker.names },
    },
  };
}

import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stackConfig";
import { DEFAULT_IMAGE, describeImage } from "./hosts/platform";
import { ShithubEnvironment } from "./environment";
import { ConfigError } from "./config/problems";
import { rawConfigFromRuntime } from "./config/runtimeConfig";
import { loadEnvTemplates } from "./env/envTemplate";
import type { EnvFileName, EnvTemplate } from "./env/envTemplate";
import type { StackConfig } from "./config/stackConfig";
import type { HostRelease } from "./release/releaseReport";
import type { CanaryVerdict } from "./promotion/canaryVerdict";
import { judgePromotion, overrideWarning, refusalMessage } from "./promotion/promotionGate";
import type { PromotionDecision } from "./promotion/promotionGate";
import { readOwnRelease, readUpstreamRelease } from "./promotion/upstreamRelease";
import { judgeDeployKey } from "./promotion/sharedDeployKey";
import { publicKeyOf, sshFingerprint } from "./hosts/sshKeys";
import { deployIdentity, OFFLINE_DEPLOYER, runGit } from "./ops/deployIdentity";
import type { DeployIdentity } from "./ops/deployIdentity";

/** The fingerprint of the stack's deploy key (validated at config: it always has a public half). */
function deployKeyFingerprint(config: StackConfig): string {
  return sshFingerprint(publicKeyOf(config.release.sshPrivateKey.reveal()) ?? "");
}

/** What an operator needs of a host. */
export interface HostOutput {
  readonly roles: readonly string[];
  readonly publicIpv4: pulumi.Output<string>;
  readonly privateIpv4: pulumi.Output<string>;
  readonly reservedIpv4?: pulumi.Output<string>;
  /** The SSH host key every step verifies (authorized_keys format): npm run ops pins it. */
  readonly hostKey: pulumi.Output<string>;
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
  readonly dnsRecords: ReadonlyArray<{ type: string; name: string; value: pulumi.Input<string> }>;
  readonly dnsManagedHere: boolean;
  /** The documentation site's address, with shithubd:docsSite. */
  readonly docsUrl?: pulumi.Output<string>;
  /** Spaces buckets by role: name and region. */
  readonly buckets: Readonly<Record<string, { name: string; region: string }>>;
  /** What the app hosts run, from their release steps' reports: a downstream stack's promotion gate reads it. */
  readonly release: { readonly version: string; readonly hosts: Readonly<Record<string, pulumi.Output<HostRelease | null>>> };
  /** The canary's recorded verdict on this stack's release (null before any): the gate downstream reads it. */
  readonly canary: CanaryVerdict | null;
  /** The fingerprint of the stack's deploy key: a downstream stack refuses to share it. */
  readonly deployKey: string;
  /** The promotion gate's decision, on a stack that has one (production). */
  readonly promotion?: PromotionDecision;
}

export interface Program {
  readonly environment: ShithubEnvironment;
  readonly config: StackConfig;
  readonly outputs: StackOutputs;
}

/** The stack's config, validated whole: a bad value stops the run before any resource is registered. */
function loadConfig(templates: Readonly<Record<EnvFileName, EnvTemplate>>): StackConfig {
  try {
    return readStackConfig(rawConfigFromRuntime(), templates);
  } catch (err) {
    // RunError: the CLI prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/**
 * The entry point of `pulumi preview` and `pulumi up` (index.ts): validate the config, then, on a
 * stack with a promotion gate, read the upstream stack's release and refuse before registering
 * anything else when the gate does not pass; then build the environment.
 */
export async function deploy(opts?: pulumi.ComponentResourceOptions, now: () => Date = () => new Date()): Promise<StackOutputs> {
  const templates = loadEnvTemplates();
  const config = loadConfig(templates);
  let promotion: PromotionDecision | undefined;
  if (config.promotion !== undefined) {
    const [upstream, current] = await Promise.all([readUpstreamRelease(config.promotion.from), readOwnRelease()]);
    const key = judgeDeployKey(config.stack, config.promotion.from, deployKeyFingerprint(config), upstream.deployKey, config.hosts.authorizedKeys.length > 0);
    if (key.verdict === "refused") throw new pulumi.RunError(key.message);
    if (key.verdict === "rotating") pulumi.log.warn(key.message);
    promotion = judgePromotion({ stack: config.stack, version: config.version, promotion: config.promotion, upstream, current, now: now() });
    if (promotion.verdict === "refused") throw new pulumi.RunError(refusalMessage(config.stack, promotion));
    const warning = overrideWarning(config.stack, promotion);
    if (warning !== undefined) pulumi.log.warn(warning);
  }
  return build(config, templates, opts, promotion, deployIdentity(process.env, runGit)).outputs;
}

/**
 * The program without its promotion gate (which needs the upstream stack's outputs from a
 * backend): what the offline plan and the tests run under mocks.
 */
export function program(opts?: pulumi.ComponentResourceOptions, deployer: DeployIdentity = OFFLINE_DEPLOYER): Program {
  const templates = loadEnvTemplates();
  return build(loadConfig(templates), templates, opts, undefined, deployer);
}

function build(config: StackConfig, templates: Readonly<Record<EnvFileName, EnvTemplate>>, opts: pulumi.ComponentResourceOptions | undefined, promotion: PromotionDecision | undefined, deployer: DeployIdentity): Program {
  if (!config.platform.bootedByTests) {
    pulumi.log.warn(`shithubd:image is ${describeImage(config.image)}: new hosts run what the host tier never converged (it boots ${DEFAULT_IMAGE}).`);
  }
  const environment = new ShithubEnvironment(config.stack, { config, templates, deployer }, opts);
  return {
    environment,
    config,
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
        hostKey: h.hostPublicKey,
      }])),
      dnsRecords: environment.dnsRecords,
      dnsManagedHere: config.dnsZone !== undefined,
      ...(environment.docsSite !== undefined ? { docsUrl: environment.docsSite.url } : {}),
      buckets: Object.fromEntries(config.backups.buckets.map((b) => [b.id, { name: b.name, region: b.region }])),
      release: { version: config.version, hosts: environment.service.reports },
      canary: config.canary ?? null,
      deployKey: deployKeyFingerprint(config),
      ...(promotion !== undefined ? { promotion } : {}),
    },
  };
}

import { CATALOGUE } from "./catalogue";
import { ENV_DEFAULTS, derivedEnv, productionByName } from "../env/envDefaults";
import type { EnvValue, EnvValues } from "../env/envValues";
import { DATABASE_URL_VALUE } from "../env/envValues";
import { platformOf } from "../hosts/platform";
import type { Platform } from "../hosts/platform";
import { checkEnv, S3_KEYS } from "../env/envRules";
import { LIST_KEYS, parseHostsConfig } from "./hostsConfig";
import { parseBackupConfig, runtimeBucketEnv } from "./backupConfig";
import type { BackupConfig } from "./backupConfig";
import { parseReleaseConfig } from "./releaseConfig";
import type { ReleaseConfig } from "./releaseConfig";
import { parsePromotionConfig } from "../promotion/promotionConfig";
import { canaryVerdictOf } from "../promotion/canaryVerdict";
import type { CanaryVerdict } from "../promotion/canaryVerdict";
import { parseMonitoringConfig } from "../monitoring/monitoringConfig";
import { parseTakeoverConfig } from "../takeover/takeoverConfig";
import { parseRecoveryConfig } from "../recovery/recoveryConfig";
import { defaultBucketPrefix } from "../backups/buckets";
import type { RecoveryConfig } from "../recovery/recoveryConfig";
import type { TakeoverConfig } from "../takeover/takeoverConfig";
import type { MonitoringConfig } from "../monitoring/monitoringConfig";
import type { PromotionConfig } from "../promotion/promotionConfig";
import type { HostsConfig, ListKey } from "./hostsConfig";
import { strayKeyProblem } from "./namespaces";
import { NAMESPACE, PROJECT_KEYS, qualified } from "./projectKeys";
import type { Problem } from "./problems";
import { ConfigError, configSetCommand, jsonValueOf, reencryptCommand, renameCommand } from "./problems";
import { parseMailDns } from "../hosts/mailDns";
import type { MailDnsConfig } from "../hosts/mailDns";
import { Sensitive } from "./sensitive";
import { didYouMean } from "./suggest";
import { consistencyProblems } from "./consistency";
import type { EnvFileName, EnvTemplate } from "../env/envTemplate";

/** A stack name with "prod" or "production" as a word of it (prod-eu, eu_production), not "product". */
const NAMED_LIKE_PRODUCTION = /(^|[^a-z])prod(uction)?([^a-z]|$)/i;
/** The public CAs' test directories (Let's Encrypt's staging, Buypass's test4, Google's test-api): certificates no browser trusts. */
const PUBLIC_TEST_CA = /(^|[.-])staging([.-]|$)|(^|\.)test\d|(^|[.-])test-api\./i;
const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
};

/** A stack's config as the engine hands it to the program: every value a string. */
export interface RawStackConfig {
  readonly stack: string;
  /** Fully qualified key (`shithubd:version`) to value. */
  readonly values: Readonly<Record<string, string>>;
  /** Keys set with `--secret`. */
  readonly secretKeys: ReadonlySet<string>;
  /** Secret keys whose value is an offline placeholder, not the decrypted value. */
  readonly placeholders: ReadonlySet<string>;
}

/** The validated, typed configuration of one stack. */
export interface StackConfig {
  readonly stack: string;
  /** shithubd release tag, e.g. `v1.8.0`. */
  readonly version: string;
  readonly domain: string;
  readonly region: string;
  /** Image of new droplets. */
  readonly image: string;
  /** What the image ships (PostgreSQL's major version). */
  readonly platform: Platform;
  readonly edge: EdgeConfig;
  /** Git over SSH is served on the app hosts. */
  readonly gitSsh: boolean;
  readonly swapGib: number;
  /** DigitalOcean DNS zone that holds `domain`, when DNS is managed here. */
  readonly dnsZone?: string;
  /** Postmark's records for mail from `domain`. */
  readonly mailDns?: MailDnsConfig;
  /** The documentation site (bucket, CDN, docs.<domain>), when shithubd:docsSite is on. */
  readonly docsSite?: { readonly bucket: string };
  readonly vpcIpRange?: string;
  readonly hosts: HostsConfig;
  readonly release: ReleaseConfig;
  readonly backups: BackupConfig;
  /** Metrics retention and where alerts go. */
  readonly monitoring: MonitoringConfig;
  /** The canary's last recorded verdict on this stack (npm run canary -- --record). */
  readonly canary?: CanaryVerdict;
  /** The stack this one promotes from and the soak it needs (production's gate). */
  readonly promotion?: PromotionConfig;
  /** A takeover of a live forge in progress (shithubd:takeover, shithubd:takeoverSource). */
  readonly takeover?: TakeoverConfig;
  /** A recovery from a lost environment's backups in progress (shithubd:recovery). */
  readonly recovery?: RecoveryConfig;
  /** Production: stateful resources are protected and retained. */
  readonly production: boolean;
  /** Every SHITHUB_* value: stack-set, defaults and derived. */
  readonly env: EnvValues;
}

/** How the edge (Caddy on the app hosts) serves the domain. */
export interface EdgeConfig {
  /** `internal`: Caddy's own CA, for test stacks; `acme`: a public ACME CA. */
  readonly tls: "acme" | "internal";
  readonly acmeEmail: string;
  readonly acmeCaUrl?: string;
  /** How long a request waits for shithubd during a restart before the edge answers 503. */
  readonly waitSeconds: number;
}

/** Provider credentials that must never sit in a stack file in plaintext. */
const PROVIDER_SECRETS = ["digitalocean:token", "digitalocean:spacesAccessId", "digitalocean:spacesSecretKey"];

const ENV_KEY = /^[A-Z][A-Z0-9_]*$/;

/** A name this program reads under its namespace: an env variable, a project key, a list. */
function isProgramName(name: string): boolean {
  return /^SHITHUB_[A-Z0-9_]+$/.test(name) || PROJECT_KEYS.some((k) => k.name === name) || (LIST_KEYS as readonly string[]).includes(name);
}

export type ParseResult = { readonly ok: true; readonly config: StackConfig } | { readonly ok: false; readonly problems: Problem[] };

/** Reads and validates a stack's config, reporting every problem at once. Touches nothing. */
export function parseStackConfig(raw: RawStackConfig, templates: Readonly<Record<EnvFileName, EnvTemplate>>): ParseResult {
  const { stack } = raw;
  const problems: Problem[] = [];
  const project = new Map<string, string>();
  const lists: Partial<Record<ListKey, string>> = {};
  const env = new Map<string, EnvValue>();

  for (const [key, text] of Object.entries(raw.values)) {
    const secret = raw.secretKeys.has(key);
    if (PROVIDER_SECRETS.includes(key) && !secret) {
      problems.push({
        stack,
        key,
        message: "is a credential stored in plaintext in the stack file; it must be set with --secret",
        fix: reencryptCommand(stack, key),
      });
    }
    if (!key.startsWith(`${NAMESPACE}:`)) {
      const stray = strayKeyProblem(stack, key, secret, isProgramName);
      if (stray !== undefined) problems.push(stray);
      continue;
    }
    const name = key.slice(NAMESPACE.length + 1);
    if (ENV_KEY.test(name)) {
      // The CLI merges Pulumi.yaml defaults into the config it hands over: an unchanged default stays a default.
      const origin = !secret && ENV_DEFAULTS[name] === text ? "default" : "stack";
      env.set(name, { value: secret ? new Sensitive(text) : text, origin, placeholder: raw.placeholders.has(key) });
    } else if (PROJECT_KEYS.some((k) => k.name === name)) {
      project.set(name, text);
    } else if ((LIST_KEYS as readonly string[]).includes(name)) {
      lists[name as ListKey] = text;
    } else {
      problems.push(unknownProjectKey(stack, name, secret));
    }
  }

  for (const spec of PROJECT_KEYS) {
    const key = qualified(spec.name);
    const text = project.get(spec.name) ?? spec.default;
    if (text === undefined && spec.optional === true) continue;
    if (text !== undefined && spec.secret === true && !raw.secretKeys.has(key)) {
      problems.push({
        stack,
        key,
        message: "is a secret but is stored in plaintext in the stack file; it must be set with --secret",
        fix: reencryptCommand(stack, key),
      });
      project.delete(spec.name);
      continue;
    }
    if (text !== undefined && raw.placeholders.has(key)) continue;
    const reason = text === undefined ? undefined : spec.check(text);
    if (reason === undefined && text !== undefined) {
      project.set(spec.name, text);
      continue;
    }
    const fix = configSetCommand(stack, key, spec.example, spec.secret === true);
    problems.push(text === undefined ? { stack, key, message: "is required but is not set", fix, kind: "missing" } : { stack, key, message: reason ?? "is invalid", fix });
    project.delete(spec.name);
  }

  const version = project.get("version");
  const domain = project.get("domain");
  for (const [name, text] of Object.entries(ENV_DEFAULTS)) {
    if (!env.has(name)) env.set(name, { value: text, origin: "default", placeholder: false });
  }
  const gitSsh = project.get("gitSsh") === "true";
  // Production is a property of the stack (shithubd:production), by default from its name.
  const production = project.has("production") ? project.get("production") === "true" : productionByName(stack);
  if (!project.has("production") && !productionByName(stack) && NAMED_LIKE_PRODUCTION.test(stack)) {
    // prod-eu reads as production to its operators: it says which it is, or it is refused.
    const key = qualified("production");
    problems.push({ stack, key, message: `is unset, and a stack named ${stack} reads as production: say which it is (true applies production's rules)`, fix: `${configSetCommand(stack, key, "true", false)}  # or false, for a stack that is not production` });
  }
  if (!production && productionByName(stack)) {
    // Its name says production to every operator and tool: the rules cannot be switched off under it.
    const key = qualified("production");
    problems.push({ stack, key, message: `is false, but a stack named ${stack} is production to everyone who reads its name; its rules stay on`, fix: `pulumi config rm ${key} -s ${stack}` });
  }
  for (const [name, text] of Object.entries(derivedEnv(stack, domain ?? "domain.invalid", gitSsh, production))) {
    if (!env.has(name)) env.set(name, { value: text, origin: "derived", placeholder: false });
  }
  if (!env.has("SHITHUB_DATABASE_URL")) env.set("SHITHUB_DATABASE_URL", DATABASE_URL_VALUE);
  const region = project.get("region");
  // shithubd's object storage is the environment's runtime bucket unless the stack points it elsewhere.
  if (region !== undefined && !S3_KEYS.some((k) => env.get(k)?.origin === "stack")) {
    for (const [name, value] of runtimeBucketEnv(stack, region, project.get("bucketPrefix"), project.get("objectsBucket"))) env.set(name, value);
  }
  problems.push(...checkEnv({ stack, version, values: env, templates }));
  const hosts = parseHostsConfig(stack, lists, production);
  problems.push(...hosts.problems);
  problems.push(...consistencyProblems(stack, env, hosts.config?.hosts, problems));

  // A release key already reported invalid is not reported again as missing.
  const releaseKeyReported = problems.some((p) => ["artifactUrl", "artifactPath", "artifactSha256"].some((k) => p.key === qualified(k)));
  const release = version === undefined ? { problems: [] } : parseReleaseConfig(stack, version, project, raw.placeholders);
  if (!releaseKeyReported) problems.push(...release.problems);

  const backups = region === undefined ? { problems: [] } : parseBackupConfig(stack, region, project);
  problems.push(...backups.problems);
  // A promotion key already reported invalid is not reported again as missing.
  const promotionKeyReported = problems.some((p) => ["promoteFrom", "soakMinutes", "promotionOverride"].some((k) => p.key === qualified(k)));
  const promotion = promotionKeyReported ? { problems: [] } : parsePromotionConfig(stack, version, production, project);
  problems.push(...promotion.problems);
  const takeoverKeyReported = problems.some((p) => p.key === qualified("takeover") || p.key === qualified("takeoverSource"));
  const takeover = takeoverKeyReported ? { problems: [] } : parseTakeoverConfig(stack, project);
  problems.push(...takeover.problems);
  const recoveryKeyReported = problems.some((p) => p.key === qualified("recovery"));
  const recovery = recoveryKeyReported ? { problems: [] } : parseRecoveryConfig(stack, project, { prefix: project.get("bucketPrefix") ?? defaultBucketPrefix(stack), ...(project.has("objectsBucket") ? { objectsBucket: project.get("objectsBucket")! } : {}) });
  problems.push(...recovery.problems);
  const emailFrom = env.get("SHITHUB_AUTH__EMAIL_FROM")?.value;
  const monitoring = parseMonitoringConfig(stack, production, project, typeof emailFrom === "string" ? emailFrom : undefined);
  problems.push(...monitoring.problems);
  const image = project.get("image");
  const swap = project.get("swapGib");
  const tls = project.get("tls") === "internal" ? "internal" : "acme";
  if (tls === "internal" && production) {
    // Reported with every other problem, not after them.
    const key = qualified("tls");
    problems.push({ stack, key, message: "is internal: no browser trusts Caddy's own CA, so production must use acme", fix: configSetCommand(stack, key, "acme", false) });
  }
  const caUrl = project.get("acmeCaUrl");
  if (production && caUrl !== undefined && PUBLIC_TEST_CA.test(hostOf(caUrl))) {
    const key = qualified("acmeCaUrl");
    problems.push({ stack, key, message: `is a test CA (${hostOf(caUrl)}): no browser trusts its certificates, so production takes Let's Encrypt's own`, fix: `pulumi config rm ${key} -s ${stack}` });
  }
  if (problems.length > 0 || !version || !domain || !region || !image || !swap || !hosts.config || !release.config || !backups.config || !monitoring.config) return { ok: false, problems };
  const dnsZone = project.get("dnsZone");
  const mailDnsText = project.get("mailDns");
  const mailDns = mailDnsText === undefined ? undefined : parseMailDns(jsonValueOf(mailDnsText)).config;
  const canaryText = project.get("canaryVerdict");
  const canary = canaryText === undefined ? undefined : canaryVerdictOf(JSON.parse(canaryText));
  const vpcIpRange = project.get("vpcIpRange");
  const platform = platformOf(image);
  if (platform === undefined) throw new Error(`image ${image} passed its check but has no platform`);
  const acmeCaUrl = project.get("acmeCaUrl");
  const edge: EdgeConfig = {
    tls,
    acmeEmail: project.get("acmeEmail") ?? hosts.config.alertEmails[0]!,
    waitSeconds: Number(project.get("edgeWaitSeconds") ?? "60"),
    ...(acmeCaUrl !== undefined ? { acmeCaUrl } : {}),
  };
  if (dnsZone !== undefined && domain !== dnsZone && !domain.endsWith(`.${dnsZone}`)) {
    const key = qualified("dnsZone");
    return { ok: false, problems: [{ stack, key, message: `does not contain shithubd:domain (${domain})`, fix: configSetCommand(stack, key, domain, false) }] };
  }
  return {
    ok: true,
    config: {
      stack, version, domain, region, image, platform, edge, gitSsh, swapGib: Number(swap), hosts: hosts.config, release: release.config, backups: backups.config, monitoring: monitoring.config, production, env,
      ...(dnsZone !== undefined ? { dnsZone } : {}),
      ...(mailDns !== undefined ? { mailDns } : {}),
      ...(project.get("docsSite") === "true" ? { docsSite: { bucket: `${project.get("bucketPrefix") ?? defaultBucketPrefix(stack)}-docs` } } : {}),
      ...(vpcIpRange !== undefined ? { vpcIpRange } : {}),
      ...(promotion.config !== undefined ? { promotion: promotion.config } : {}),
      ...(canary !== undefined ? { canary } : {}),
      ...(takeover.config !== undefined ? { takeover: takeover.config } : {}),
      ...(recovery.config !== undefined ? { recovery: recovery.config } : {}),
    },
  };
}

/** parseStackConfig for the program: throws one ConfigError holding every problem. */
export function readStackConfig(raw: RawStackConfig, templates: Readonly<Record<EnvFileName, EnvTemplate>>): StackConfig {
  const result = parseStackConfig(raw, templates);
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

function unknownProjectKey(stack: string, name: string, secret: boolean): Problem {
  const key = qualified(name);
  const known = [...PROJECT_KEYS.map((k) => k.name), ...LIST_KEYS, ...CATALOGUE.keys()];
  const suggestion = didYouMean(name, known);
  if (suggestion === undefined) {
    return { stack, key, message: `is not a setting of this project (known: ${[...PROJECT_KEYS.map((k) => k.name), ...LIST_KEYS].join(", ")}, SHITHUB_*)`, fix: `pulumi config rm ${key} -s ${stack}` };
  }
  const target = qualified(suggestion);
  return { stack, key, message: `is not a setting of this project; did you mean ${target}?`, fix: renameCommand(stack, key, target, secret) };
}

import * as pulumi from "@pulumi/pulumi";
import type { DeployIdentity } from "../components/ops/deployIdentity";
import { parseStackConfig } from "../components/config/stackConfig";
import { lookup } from "../components/config/catalogue";
import { program } from "../components/program";
import type { Program } from "../components/program";
import { markOfflinePlaceholders } from "../components/config/runtimeConfig";
import { loadEnvTemplates } from "../components/env/envTemplate";
import { ageRecipientOf } from "../components/backups/ageKeys";
import { NAMESPACE, PROJECT_KEYS, qualified } from "../components/config/projectKeys";
import type { StackFileConfig } from "./stackFile";
import { mockResource } from "./mockState";
import { secretPlaceholder } from "./stackFile";
import { judgePromotion, refusalMessage } from "../components/promotion/promotionGate";
import { judgeDeployKey } from "../components/promotion/sharedDeployKey";
import type { PromotionDecision, UpstreamOutputs } from "../components/promotion/promotionGate";

// Resolves once every registration the program started has reached the (mock) monitor.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** The resource options the engine would act on (mocks never see options; a transformation does). */
export interface RecordedOptions {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  /** Outputs the engine keeps encrypted in state (besides those the provider marks). */
  readonly additionalSecretOutputs: readonly string[];
  /** Names of the resources it explicitly depends on. */
  dependsOn: string[];
}

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  options?: RecordedOptions;
}

export interface PlannedFile {
  readonly host: string;
  readonly path: string;
  readonly content: string;
  readonly secret: boolean;
}

export type OfflineResult =
  | {
      readonly ok: true;
      readonly resources: RecordedResource[];
      readonly files: PlannedFile[];
      readonly outputs: Record<string, unknown>;
      /** Secrets and checksums the stack file does not hold yet, planned with placeholders. */
      readonly unsetValues: Array<{ key: string; fix: string }>;
      /** The promotion gate the stack has: `pulumi preview` and `up` judge it (it reads another stack's outputs); an offline plan cannot. */
      readonly promotion?: { readonly from: string; readonly soakMinutes: number };
      /** The gate's decision, when the plan was given the outputs it reads (OfflineOptions.promotion). */
      readonly decision?: PromotionDecision;
      /** The program's own objects, for tools that read what it built (URNs, components). */
      readonly program: Program;
    }
  | { readonly ok: false; readonly message: string; readonly resources: RecordedResource[] };

export interface OfflineOptions {
  /** Stand placeholders in for required secrets and checksums the stack file lacks (default); false fails like `pulumi preview`. */
  readonly placeholdersForUnsetValues?: boolean;
  /** Decrypted values of secret keys (what the engine hands the program), e.g. for a plan applied to test hosts. */
  readonly secretValues?: Readonly<Record<string, string>>;
  /**
   * The outputs the promotion gate would read from the backend (the upstream stack's, and this
   * stack's own from its last update): with them, a stack that has a gate is judged as `pulumi
   * preview` judges it, and a refusal fails the plan with the same message.
   */
  readonly promotion?: { readonly upstream: UpstreamOutputs; readonly current?: unknown; readonly now?: Date };
  /** Who the release steps' audit lines name (default: OFFLINE_DEPLOYER, the same for every commit). */
  readonly deployer?: DeployIdentity;
}

/**
 * Mocks that record every registration into `into` and echo inputs back as state, so every
 * output is known (as after an update, not a preview).
 */
export function recordingMocks(into: RecordedResource[]): pulumi.runtime.Mocks {
  return {
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      into.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs });
      return mockResource(args.type, args.name, inputs);
    },
    call: (args) => args.inputs,
  };
}

/**
 * A legacy transformation (the one kind that runs under mocks) that notes each resource's
 * options; give it to the root component, and every descendant inherits it.
 */
export function recordOptions(into: Map<string, RecordedOptions>): pulumi.ResourceTransformation {
  return ({ type, name, opts }) => {
    const recorded: RecordedOptions = {
      protect: opts.protect === true,
      retainOnDelete: opts.retainOnDelete === true,
      ignoreChanges: opts.ignoreChanges ?? [],
      additionalSecretOutputs: (opts as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [],
      dependsOn: [],
    };
    into.set(`${type}::${name}`, recorded);
    const deps: unknown[] = Array.isArray(opts.dependsOn) ? opts.dependsOn : opts.dependsOn === undefined ? [] : [opts.dependsOn];
    for (const dep of deps) {
      // A URN ends in the resource's name; it resolves once the mock monitor has registered it.
      if (pulumi.Resource.isInstance(dep)) dep.urn.apply((urn) => recorded.dependsOn.push(urn.split("::").pop() ?? urn));
    }
    return undefined;
  };
}

/** Awaits a known output's value (mocks in non-preview mode resolve every output). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => {
    resolve(v);
    return v;
  }));
}

/** Stands in for unset backup recipients in an offline plan: a well-formed age recipient (32 zero bytes) whose identity nobody holds. */
// Two, as production requires (an operator's and an escrow identity); not real keys.
const PLACEHOLDER_RECIPIENTS = [ageRecipientOf(new Uint8Array(32)), ageRecipientOf(new Uint8Array(32).fill(1))];

/** Values only an operator can supply (secrets, the release checksum): planned with placeholders when unset. */
function operatorSupplied(key: string): { secret: boolean } | undefined {
  const name = key.slice(NAMESPACE.length + 1);
  if (lookup(name)?.secret === true) return { secret: true };
  if (PROJECT_KEYS.some((k) => k.name === name && k.secret === true)) return { secret: true };
  if (name === "artifactSha256" || name === "backupRecipients") return { secret: false };
  return undefined;
}

/** Required operator-supplied values missing from the stack file, with the command that would set each. */
function unsetOperatorValues(cfg: StackFileConfig, secretKeys: ReadonlySet<string>): Array<{ key: string; fix: string }> {
  const parsed = parseStackConfig(
    { stack: cfg.stack, values: cfg.values, secretKeys, placeholders: cfg.secureKeys },
    loadEnvTemplates(),
  );
  if (parsed.ok) return [];
  return parsed.problems
    .filter((p) => p.kind === "missing" && operatorSupplied(p.key) !== undefined)
    .map((p) => ({ key: p.key, fix: p.fix }));
}

/**
 * Runs the Pulumi program under Pulumi's mock runtime with a stack file's config: the same
 * code path as `pulumi preview`, minus the engine and the cloud.
 */
export async function runOffline(cfg: StackFileConfig, options: OfflineOptions = {}): Promise<OfflineResult> {
  const secretValues = options.secretValues ?? {};
  const values = { ...cfg.values, ...secretValues };
  const secretKeys = new Set([...cfg.secureKeys, ...Object.keys(secretValues)]);
  const placeholders = new Set([...cfg.secureKeys].filter((k) => !(k in secretValues)));
  const unset = options.placeholdersForUnsetValues === false ? [] : unsetOperatorValues({ ...cfg, values }, secretKeys);
  for (const { key } of unset) {
    values[key] = key === qualified("backupRecipients") ? JSON.stringify(PLACEHOLDER_RECIPIENTS) : secretPlaceholder(key, `not set in ${cfg.file}`);
    placeholders.add(key);
    if (operatorSupplied(key)?.secret === true) secretKeys.add(key);
  }

  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(recordingMocks(resources), NAMESPACE, cfg.stack, false);
  pulumi.runtime.setAllConfig(values, [...secretKeys]);
  markOfflinePlaceholders(placeholders);

  const recorded = new Map<string, RecordedOptions>();
  let built: Program;
  try {
    built = program({ transformations: [recordOptions(recorded)] }, options.deployer);
  } catch (err) {
    await waitForRPCs();
    if (err instanceof pulumi.RunError) return { ok: false, message: err.message, resources };
    throw err;
  }
  await waitForRPCs();
  for (const r of resources) {
    const opts = recorded.get(`${r.type}::${r.name}`);
    if (opts !== undefined) r.options = opts;
  }

  const files: PlannedFile[] = [];
  for (const { host, file } of built.environment.hostFiles) {
    files.push({ host, path: file.path, content: await valueOf(file.content), secret: await pulumi.isSecret(file.content) });
  }
  const outputs = await valueOf(pulumi.output(built.outputs));
  const gate = built.config.promotion;
  let decision: PromotionDecision | undefined;
  if (gate !== undefined && options.promotion !== undefined) {
    const { upstream, current, now } = options.promotion;
    const key = judgeDeployKey(cfg.stack, gate.from, built.outputs.deployKey, upstream.deployKey, built.config.hosts.authorizedKeys.length > 0);
    if (key.verdict === "refused") return { ok: false, message: key.message, resources };
    decision = judgePromotion({ stack: cfg.stack, version: built.config.version, promotion: gate, upstream, current, now: now ?? new Date() });
    if (decision.verdict === "refused") return { ok: false, message: refusalMessage(cfg.stack, decision), resources };
  }
  return {
    ok: true, resources, files, outputs: outputs as unknown as Record<string, unknown>, unsetValues: unset, program: built,
    ...(gate !== undefined ? { promotion: { from: gate.from, soakMinutes: gate.soakMinutes } } : {}),
    ...(decision !== undefined ? { decision } : {}),
  };
}

import { performance } from "node:perf_hooks";
import type { OfflineResult, RecordedResource } from "../../offline/run";
import { unwrapSecret } from "../../offline/summary";
import type { Machine } from "./machine";

export type Plan = Extract<OfflineResult, { ok: true }>;

/** A remote step as the program registers it: the very command string and stdin `pulumi up` would run, and where. */
export interface RemoteStep {
  readonly name: string;
  /** The address its connection goes to (a droplet's public address in the plan). */
  readonly host: string;
  /** The host key its connection verifies. */
  readonly hostKey?: string;
  /** The key its connection logs in with (shithubd:sshPrivateKey). */
  readonly privateKey?: string;
  readonly command: string;
  readonly stdin: string;
  readonly after: readonly string[];
}

const COMMAND = "command:remote:Command";

/** The program's remote steps in an order `pulumi up` could run them: each after everything it depends on. */
export function remoteSteps(plan: Plan): RemoteStep[] {
  const commands = plan.resources.filter((r: RecordedResource) => r.type === COMMAND);
  const names = new Set(commands.map((c) => c.name));
  const pending = commands.map((c) => {
    const connection = unwrapSecret(c.inputs.connection) as { host?: unknown; hostKey?: unknown; privateKey?: unknown } | undefined;
    return {
      name: c.name,
      host: String(connection?.host ?? ""),
      ...(typeof connection?.hostKey === "string" ? { hostKey: connection.hostKey } : {}),
      ...(typeof connection?.privateKey === "string" ? { privateKey: connection.privateKey } : {}),
      command: String(c.inputs.create),
      stdin: String(unwrapSecret(c.inputs.stdin) ?? ""),
      after: (c.options?.dependsOn ?? []).filter((d) => names.has(d)),
    };
  });
  const ordered: RemoteStep[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.after.every((d) => ordered.some((o) => o.name === d)));
    if (i < 0) throw new Error(`remote steps depend on each other in a cycle: ${pending.map((s) => s.name).join(", ")}`);
    ordered.push(pending.splice(i, 1)[0]!);
  }
  return ordered;
}

/**
 * Checks that `applied` (a concurrent up's steps) kept the plan's order: no step started before
 * every step it depends on had ended. Returns the violations, and how many steps overlapped another.
 */
export function orderOf(plan: Plan, applied: readonly AppliedStep[]): { violations: string[]; overlapping: number } {
  const byName = new Map(applied.map((a) => [a.name, a]));
  const violations = remoteSteps(plan).flatMap((s) => {
    const a = byName.get(s.name);
    if (a === undefined) return [];
    return s.after.flatMap((d) => {
      const dep = byName.get(d);
      return dep !== undefined && (dep.endedAt ?? 0) > (a.startedAt ?? 0) ? [`${s.name} started before ${d} ended`] : [];
    });
  });
  const overlapping = applied.filter((a) => applied.some((b) => b !== a && (b.startedAt ?? 0) < (a.endedAt ?? 0) && (a.startedAt ?? 0) < (b.endedAt ?? 0))).length;
  return { violations, overlapping };
}

/** The user data the plan gives droplet `name` (a secret: it holds the droplet's host key). */
export function dropletUserData(plan: Plan, name: string): string {
  const droplet = plan.resources.find((r) => r.type === "digitalocean:index/droplet:Droplet" && r.inputs.name === name);
  if (droplet === undefined) throw new Error(`the plan has no droplet ${name}`);
  return String(unwrapSecret(droplet.inputs.userData));
}

export interface AppliedStep {
  readonly name: string;
  readonly ms: number;
  /** When it started and ended (performance.now(), ms), for a concurrent up. */
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs steps on the machines over SSH; stops at the first failure, with its stderr. */
export function applySteps(machineFor: (step: RemoteStep) => Machine, steps: readonly RemoteStep[]): AppliedStep[] {
  return steps.map((step) => {
    const r = machineFor(step).ssh(step.command, step.stdin, step.hostKey, step.privateKey);
    if (r.status !== 0) throw new Error(`${step.name} failed (exit ${r.status}):\n${r.stderr}`);
    return { name: step.name, ms: Math.round(r.ms), stdout: r.stdout, stderr: r.stderr };
  });
}

/** A step's inputs as the engine compares them: a new command, stdin or connection key runs it again. */
const signature = (s: RemoteStep): string => [s.command, s.stdin, s.privateKey ?? "", s.hostKey ?? ""].join("\0");

/**
 * `pulumi up` against test droplets: a step runs only when it is new or its command or stdin
 * changed since the last applied plan, as the engine updates a Command only when its inputs
 * differ; and, as the engine does (its default parallelism is unbounded), each step starts as soon
 * as every step it depends on has finished, so steps on different hosts, or independent ones on
 * one host, run at once. An ordering the program forgot to declare shows here as it would on
 * DigitalOcean.
 */
export class Stack {
  private readonly applied = new Map<string, string>();

  /** `afterUp`: what the test world does once an up has finished (e.g. hold the calendar timers it armed). */
  constructor(private readonly machineFor: (step: RemoteStep) => Machine, private readonly afterUp: () => void = () => undefined) {}

  /** The steps `up` would run for this plan. */
  changed(plan: Plan): RemoteStep[] {
    return remoteSteps(plan).filter((s) => this.applied.get(s.name) !== signature(s));
  }

  /**
   * Runs the changed steps concurrently in dependency order (without blocking this process, so
   * load can run meanwhile). After a failure no further step starts; the ones running finish, and
   * the first failure is thrown, as the engine reports it. Returned in the order they finished.
   */
  async up(plan: Plan): Promise<AppliedStep[]> {
    const pending = this.changed(plan);
    const waiting = new Set(pending.map((s) => s.name));
    const finished = new Map<string, Promise<void>>();
    const done: AppliedStep[] = [];
    let failure: Error | undefined;
    const run = async (step: RemoteStep): Promise<void> => {
      await Promise.all(step.after.filter((d) => waiting.has(d)).map((d) => finished.get(d)!));
      if (failure !== undefined) throw failure;
      const startedAt = performance.now();
      const r = await this.machineFor(step).sshAsync(step.command, step.stdin, step.hostKey, step.privateKey);
      if (r.status !== 0) {
        failure ??= new Error(`${step.name} failed (exit ${r.status}):\n${r.stderr}`);
        throw failure;
      }
      this.applied.set(step.name, signature(step));
      done.push({ name: step.name, ms: Math.round(r.ms), stdout: r.stdout, stderr: r.stderr, startedAt, endedAt: performance.now() });
    };
    // remoteSteps orders each step after its dependencies, so every promise awaited already exists.
    for (const step of pending) finished.set(step.name, run(step));
    await Promise.allSettled(finished.values());
    if (failure !== undefined) throw failure;
    this.afterUp();
    return done;
  }
}

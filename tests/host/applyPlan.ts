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

/** The user data the plan gives droplet `name` (a secret: it holds the droplet's host key). */
export function dropletUserData(plan: Plan, name: string): string {
  const droplet = plan.resources.find((r) => r.type === "digitalocean:index/droplet:Droplet" && r.inputs.name === name);
  if (droplet === undefined) throw new Error(`the plan has no droplet ${name}`);
  return String(unwrapSecret(droplet.inputs.userData));
}

export interface AppliedStep {
  readonly name: string;
  readonly ms: number;
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
 * `pulumi up` against test droplets: each plan's remote steps run in the program's order, but a
 * step runs only when it is new or its command or stdin changed since the last applied plan,
 * as the engine updates a Command only when its inputs differ.
 */
export class Stack {
  private readonly applied = new Map<string, string>();

  constructor(private readonly machineFor: (step: RemoteStep) => Machine) {}

  /** The steps `up` would run for this plan. */
  changed(plan: Plan): RemoteStep[] {
    return remoteSteps(plan).filter((s) => this.applied.get(s.name) !== signature(s));
  }

  /** Runs the changed steps one after another (without blocking this process, so load can run meanwhile). */
  async up(plan: Plan): Promise<AppliedStep[]> {
    const done: AppliedStep[] = [];
    for (const step of this.changed(plan)) {
      const r = await this.machineFor(step).sshAsync(step.command, step.stdin, step.hostKey, step.privateKey);
      if (r.status !== 0) throw new Error(`${step.name} failed (exit ${r.status}):\n${r.stderr}`);
      this.applied.set(step.name, signature(step));
      done.push({ name: step.name, ms: Math.round(r.ms), stdout: r.stdout, stderr: r.stderr });
    }
    return done;
  }
}

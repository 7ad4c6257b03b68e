import type { OfflineResult, RecordedResource } from "../../offline/run";
import { unwrapSecret } from "../../offline/summary";
import type { Machine } from "./machine";

/** A remote step as the program registers it: the very command string and stdin `pulumi up` would run. */
export interface RemoteStep {
  readonly name: string;
  readonly command: string;
  readonly stdin: string;
  readonly after: readonly string[];
}

const COMMAND = "command:remote:Command";

/** The program's remote steps in an order `pulumi up` could run them: each after everything it depends on. */
export function remoteSteps(plan: Extract<OfflineResult, { ok: true }>): RemoteStep[] {
  const commands = plan.resources.filter((r: RecordedResource) => r.type === COMMAND);
  const names = new Set(commands.map((c) => c.name));
  const pending = commands.map((c) => ({
    name: c.name,
    command: String(c.inputs.create),
    stdin: String(unwrapSecret(c.inputs.stdin) ?? ""),
    after: (c.options?.dependsOn ?? []).filter((d) => names.has(d)),
  }));
  const ordered: RemoteStep[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.after.every((d) => ordered.some((o) => o.name === d)));
    if (i < 0) throw new Error(`remote steps depend on each other in a cycle: ${pending.map((s) => s.name).join(", ")}`);
    ordered.push(pending.splice(i, 1)[0]!);
  }
  return ordered;
}

/** Runs steps on the machine over SSH; stops at the first failure, with its stderr. */
export function applySteps(machine: Machine, steps: readonly RemoteStep[]): Array<{ name: string; ms: number }> {
  return steps.map((step) => {
    const r = machine.ssh(step.command, step.stdin);
    if (r.status !== 0) throw new Error(`${step.name} failed (exit ${r.status}):\n${r.stderr}`);
    return { name: step.name, ms: Math.round(r.ms) };
  });
}

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "./applyPlan";
import { TEST_DEPLOY_KEY } from "./machine";

const ROOT = join(__dirname, "..", "..");

export interface OpsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The hosts output as the plan gives it, each at the address the test cloud gave its droplet. */
export function hostsOutput(plan: Plan, addressOf: (host: string) => string): Record<string, unknown> {
  const hosts = (plan.outputs as { hosts: Record<string, { roles: string[]; privateIpv4: string; hostKey: string }> }).hosts;
  return Object.fromEntries(Object.entries(hosts).map(([name, h]) => [name, { ...h, publicIpv4: addressOf(name) }]));
}

/**
 * `npm run ops -- <args> --stack <stack> [-- <passed>]` as an operator runs it: the stack's hosts
 * output and deploy key given as files (what `pulumi stack output` and `pulumi config get` would
 * print), every host checked against the key its steps pin. Prints the command and at most 60
 * lines of each of its outputs.
 */
export function runOps(world: { stack: string; plan: Plan; addressOf: (host: string) => string; dir: string }, args: readonly string[], passed?: readonly string[]): OpsRun {
  const dir = mkdtempSync(join(world.dir, "ops-"));
  writeFileSync(join(dir, "hosts.json"), JSON.stringify(hostsOutput(world.plan, world.addressOf)));
  writeFileSync(join(dir, "key"), TEST_DEPLOY_KEY.privateKeyOpenssh, { mode: 0o600 });
  const r = spawnSync("npx", ["ts-node", "--swc", "scripts/ops.ts", ...args, "--stack", world.stack, "--hosts", join(dir, "hosts.json"), "--key", join(dir, "key"), ...(passed ? ["--", ...passed] : [])],
    { cwd: ROOT, encoding: "utf8", timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  const shown = (t: string) => {
    const lines = t.split("\n");
    return lines.length > 60 ? [...lines.slice(0, 60), `… (${lines.length - 60} more lines)`].join("\n") : t;
  };
  console.log(`$ npm run ops -- ${args.join(" ")}${passed ? ` -- ${passed.join(" ")}` : ""}   (exit ${r.status}${r.error ? `, ${r.error.message}` : ""})\n${shown(r.stdout)}${shown(r.stderr)}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

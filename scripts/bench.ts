// npm run bench: how long the Pulumi program takes to evaluate under the mock runtime (config
// validation, rendering, registration of every resource), median of RUNS runs in one process
// after a warm-up run: per stack file (a stack has one app host: docs/explanation/hosts.md). Most of the
// time per resource is the Pulumi SDK capturing a stack trace for every promise it creates
// (runtime/debuggable.js), made dearer by ts-node's source maps; `pulumi up` pays the same.
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { performance } from "node:perf_hooks";
import { runOffline } from "../offline/run";
import { changedResources } from "../offline/compare";
import { loadStackFile } from "../offline/stackFile";
import type { StackFileConfig } from "../offline/stackFile";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Figures {
  median: number;
  min: number;
  resources: number;
  hosts: number;
}

async function measure(cfg: StackFileConfig, runs: number): Promise<Figures> {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const result = await runOffline(cfg);
    const elapsed = performance.now() - start;
    if (!result.ok) throw new Error(result.message);
    resources = result.resources.filter((r) => r.custom).length;
    if (i > 0) times.push(elapsed); // run 0 warms module caches
  }
  const hosts = (JSON.parse(cfg.values["shithubd:hosts"] ?? "[]") as unknown[]).length;
  return { median: median(times), min: Math.min(...times), resources, hosts };
}

function row(label: string, f: Figures): string {
  return `${label.padEnd(22)} ${String(f.hosts).padStart(5)} ${f.median.toFixed(1).padStart(10)} ${f.min.toFixed(1).padStart(8)} ${String(f.resources).padStart(10)} ${(f.resources / f.hosts).toFixed(1).padStart(14)} ${(f.median / f.hosts).toFixed(2).padStart(12)}`;
}

async function releaseFigures(): Promise<void> {
  const base = loadStackFile(".", "production");
  const bumped = { ...base, values: { ...base.values, "shithubd:version": "v1.9.0" } };
  const [a, b] = [await runOffline(base), await runOffline(bumped)];
  if (!a.ok || !b.ok) throw new Error("production's stack file failed");
  const steps = a.resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-release"));
  const changed = changedResources(a.resources, b.resources).map((r) => `${r.name} (${r.type.split(":").pop()})`);
  console.log(`production: ${steps.length} release step(s); a version bump changes ${changed.length} of ${a.resources.length} resources (${changed.join(", ")})`);
}

async function main(): Promise<void> {
  console.log(`Program evaluation under Pulumi mocks, node ${process.version}; median of ${RUNS} runs, after a warm-up run`);
  console.log(`${"stack".padEnd(22)} ${"hosts".padStart(5)} ${"median ms".padStart(10)} ${"min ms".padStart(8)} ${"resources".padStart(10)} ${"resources/host".padStart(14)} ${"ms/host".padStart(12)}`);
  for (const stack of ["staging", "production"]) console.log(row(stack, await measure(loadStackFile(".", stack), RUNS)));
  console.log("\nRelease steps");
  await releaseFigures();
}


export const BENCH_COMMAND: CommandSpec = {
  script: "bench",
  summary: "how long the Pulumi program takes to evaluate under the mock runtime, per stack file",
  synopsis: [""],
  options: {},
  env: { BENCH_RUNS: "runs per figure (default 9)" },
  exits: { [EXIT.ok]: "the figures are printed", [EXIT.fail]: "the benchmark could not run (the message says why)", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(BENCH_COMMAND, async () => {
  await main();
  return EXIT.ok;
});

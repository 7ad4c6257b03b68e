// npm run bench: how long the Pulumi program takes to evaluate under the mock runtime, per
// stack file (median of RUNS runs in one process, after one warm-up run).
import { performance } from "node:perf_hooks";
import { runOffline } from "../offline/run";
import { loadStackFile } from "../offline/stackFile";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const STACKS = ["staging", "production"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeStack(stack: string): Promise<{ median: number; min: number; max: number; resources: number }> {
  const cfg = loadStackFile(".", stack);
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    const result = await runOffline(cfg);
    const elapsed = performance.now() - start;
    if (!result.ok) throw new Error(result.message);
    resources = result.resources.length;
    if (i > 0) times.push(elapsed); // run 0 warms module caches
  }
  return { median: median(times), min: Math.min(...times), max: Math.max(...times), resources };
}

async function main(): Promise<void> {
  console.log(`Program evaluation under Pulumi mocks (config validation, rendering, registration), ${RUNS} runs per stack, node ${process.version}`);
  console.log("stack        median ms   min ms   max ms   resources");
  for (const stack of STACKS) {
    const r = await timeStack(stack);
    console.log(`${stack.padEnd(12)} ${r.median.toFixed(2).padStart(9)} ${r.min.toFixed(2).padStart(8)} ${r.max.toFixed(2).padStart(8)} ${String(r.resources).padStart(11)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

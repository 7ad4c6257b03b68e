// npm run canary -- --stack <name> [--prometheus URL] [--at RFC3339]
// Judges the runbook's canary for the release the stack runs, from the monitoring host's
// Prometheus (through `ssh -N -L 9090:<its private address>:9090 root@<monitoring host>`, or on
// the host itself): the soak after the release against the same time before it. Exit 0 pass,
// 1 fail, 2 not enough data yet.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_THRESHOLDS, judgeCanary, renderCanary } from "../canary/judge";
import { measure, PrometheusError } from "../canary/measure";
import { loadStackFile, StackFileError } from "../offline/stackFile";

const USAGE = "usage: npm run canary -- --stack <staging|production> [--prometheus http://127.0.0.1:9090] [--at 2026-11-26T12:00:00Z] [--dir PROJECT_DIR]";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { stack: { type: "string" }, prometheus: { type: "string", default: "http://127.0.0.1:9090" }, at: { type: "string" }, dir: { type: "string", default: "." } } }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.stack === undefined) {
    console.error(USAGE);
    return 2;
  }
  const now = args.at === undefined ? Date.now() / 1000 : Date.parse(args.at) / 1000;
  if (Number.isNaN(now)) {
    console.error(`--at ${args.at} is not a time such as 2026-11-26T12:00:00Z\n${USAGE}`);
    return 2;
  }
  let soakMinutes: number;
  try {
    const cfg = loadStackFile(resolve(args.dir), args.stack);
    soakMinutes = Number(cfg.values["shithubd:soakMinutes"] ?? "30");
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  try {
    const measured = await measure(args.prometheus, args.stack, soakMinutes * 60, now);
    const result = judgeCanary(measured, DEFAULT_THRESHOLDS);
    console.log(renderCanary(measured, result));
    return result.verdict === "pass" ? 0 : result.verdict === "fail" ? 1 : 2;
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    console.error(`error: ${err.message}\n  the monitoring host's Prometheus listens on its private address: ssh -N -L 9090:<its private address>:9090 root@<monitoring host> (npm run plan lists the addresses)`);
    return 2;
  }
}

main().then((code) => process.exit(code));

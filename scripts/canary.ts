// npm run canary -- --stack <name> [--prometheus URL] [--via root@<monitoring host>] [--at RFC3339] [--window MINUTES] [--record]
// Judges the runbook's canary for the release the stack runs, from the monitoring host's
// Prometheus (--via: each query runs as curl on that host over SSH, with SHITHUB_SSH's command
// and options, default ssh): the soak after the release against the same time before it. Exit 0 pass,
// 1 fail, 2 not enough data yet. --record writes a pass or a fail into the stack's config
// (shithubd:canaryVerdict, with the Pulumi CLI): its next `up` exports it, and the promotion gate
// of the stack downstream reads it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { judgeCanary, renderCanary, verdictOf } from "../canary/judge";
import { thresholdsOf } from "../canary/thresholds";
import { recordVerdictArgs } from "../components/promotion/canaryVerdict";
import { shellQuote } from "../components/config/problems";
import { direct, measure, PrometheusError, viaSsh } from "../canary/measure";
import { loadStackFile, StackFileError } from "../offline/stackFile";

const USAGE = "usage: npm run canary -- --stack <staging|production> [--prometheus http://<its private address>:9090 --via root@<monitoring host>] [--at 2026-11-26T12:00:00Z] [--window MINUTES] [--record] [--dir PROJECT_DIR]";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: {
      stack: { type: "string" },
      prometheus: { type: "string", default: "http://127.0.0.1:9090" },
      at: { type: "string" },
      window: { type: "string" },
      via: { type: "string" },
      record: { type: "boolean", default: false },
      dir: { type: "string", default: "." },
    } }).values;
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
  if (args.window !== undefined && !/^[1-9]\d*$/.test(args.window)) {
    console.error(`--window ${args.window} is not a whole number of minutes\n${USAGE}`);
    return 2;
  }
  // Thresholds and the window from the stack's config (Pulumi.yaml's defaults where it sets none).
  let values: Readonly<Record<string, string>> = {};
  if (existsSync(join(resolve(args.dir), `Pulumi.${args.stack}.yaml`))) {
    try {
      values = loadStackFile(resolve(args.dir), args.stack).values;
    } catch (err) {
      if (!(err instanceof StackFileError)) throw err;
      console.error(`error: ${err.message}`);
      return 2;
    }
  } else {
    console.error(`(no Pulumi.${args.stack}.yaml here: the default thresholds)`);
  }
  const read = thresholdsOf(args.stack, values);
  if ("problem" in read) {
    console.error(`error: ${read.problem}`);
    return 2;
  }
  const soakMinutes = Number(args.window ?? values["shithubd:soakMinutes"] ?? "30");
  try {
    const transport = args.via === undefined ? direct : viaSsh(args.via, (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== ""));
    const measured = await measure(args.prometheus, args.stack, soakMinutes * 60, now, transport);
    const result = judgeCanary(measured, read.thresholds);
    console.log(renderCanary(measured, result));
    const code = result.verdict === "pass" ? 0 : result.verdict === "fail" ? 1 : 2;
    const verdict = verdictOf(measured, result);
    if (args.record && verdict !== undefined) {
      const pulumiArgs = recordVerdictArgs(args.stack, verdict);
      const command = `pulumi ${pulumiArgs.map(shellQuote).join(" ")}`;
      const set = spawnSync("pulumi", pulumiArgs, { stdio: ["ignore", "inherit", "inherit"] });
      if (set.error !== undefined || set.status !== 0) {
        console.error(`error: could not record the verdict (${set.error?.message ?? `pulumi exited ${set.status}`}); run:\n  ${command}`);
        return 2;
      }
      console.log(`recorded: ${command}\nthen: pulumi up -s ${args.stack} (exports it for the promotion gate)`);
    }
    return code;
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    console.error(`error: ${err.message}\n  the monitoring host's Prometheus listens on its private address (npm run plan lists it): --prometheus http://<that address>:9090 --via root@<the monitoring host's public address>`);
    return 2;
  }
}

main().then((code) => process.exit(code));

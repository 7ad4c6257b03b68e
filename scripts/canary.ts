// npm run canary -- --stack <name> [--prometheus URL] [--via root@<monitoring host>] [--at RFC3339] [--window MINUTES] [--record]
// Judges the runbook's canary for the release the stack runs, from the monitoring host's
// Prometheus (--via: each query runs as curl on that host over SSH, with SHITHUB_SSH's command
// and options, default ssh): the soak after the release against the same time before it. Exit 0 pass,
// 1 fail, 2 not enough data yet, 64 usage (--help). --record writes a pass or a fail into the stack's config
// (shithubd:canaryVerdict, with the Pulumi CLI): its next `up` exports it, and the promotion gate
// of the stack downstream reads it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { judgeCanary, renderCanary, verdictOf } from "../canary/judge";
import { thresholdsOf } from "../canary/thresholds";
import { recordVerdictArgs } from "../components/promotion/canaryVerdict";
import { shellQuote } from "../components/config/problems";
import { direct, measure, PrometheusError, viaSsh } from "../canary/measure";
import { loadStackFile, StackFileError } from "../offline/stackFile";
import { DIR_OPTION, EXIT, optional, Refusal, required, runCommand, STACK_OPTION, UsageError } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const CANARY_COMMAND: CommandSpec = {
  script: "canary",
  summary: "judge the release the stack runs from the monitoring host's Prometheus: the soak after the release against the same time before it (docs/explanation/releases.md)",
  synopsis: ["--stack <name> --prometheus http://<monitoring host's private address>:9090 --via root@<monitoring host's public address> [--at <time>] [--window <minutes>] [--record] [--dir <dir>]"],
  options: {
    stack: STACK_OPTION,
    prometheus: { type: "string", default: "http://127.0.0.1:9090", value: "<url>", help: "Prometheus's URL, as the --via host reaches it (pulumi stack output hosts: the monitoring host's private address)" },
    via: { type: "string", value: "root@<address>", help: "run each query as curl on that host over SSH (the monitoring host's public address)" },
    at: { type: "string", value: "<time>", help: "judge as of this RFC 3339 time (default: now)" },
    window: { type: "string", value: "<minutes>", help: "the soak to judge (default: shithubd:soakMinutes, else 30)" },
    record: { type: "boolean", default: false, help: "write a pass or fail into the stack's config (shithubd:canaryVerdict) with the Pulumi CLI" },
    dir: DIR_OPTION,
  },
  env: { SHITHUB_SSH: "the ssh command --via runs (default: ssh); connects time out after 10 s" },
  exits: {
    [EXIT.ok]: "pass",
    [EXIT.fail]: "fail, or the verdict could not be recorded, or the stack's file has problems",
    [EXIT.noVerdict]: "no verdict yet: not enough data, or Prometheus did not answer",
    [EXIT.usage]: "the command line is wrong",
  },
};

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const args = { stack, prometheus: optional(parsed, "prometheus") ?? "http://127.0.0.1:9090", at: optional(parsed, "at"), window: optional(parsed, "window"), via: optional(parsed, "via"), record: parsed.values.record === true, dir: optional(parsed, "dir") ?? "." };
  let url: URL;
  try {
    url = new URL(args.prometheus);
  } catch {
    throw new UsageError(`--prometheus ${args.prometheus} is not a URL such as http://10.10.0.5:9090`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--prometheus ${args.prometheus} is not an http(s) URL`);
  const now = args.at === undefined ? Date.now() / 1000 : Date.parse(args.at) / 1000;
  if (Number.isNaN(now)) throw new UsageError(`--at ${args.at} is not a time such as 2026-11-26T12:00:00Z`);
  if (args.window !== undefined && !/^[1-9]\d*$/.test(args.window)) throw new UsageError(`--window ${args.window} is not a whole number of minutes`);
  // Thresholds and the window from the stack's config (Pulumi.yaml's defaults where it sets none).
  let values: Readonly<Record<string, string>> = {};
  if (existsSync(join(resolve(args.dir), `Pulumi.${args.stack}.yaml`))) {
    try {
      values = loadStackFile(resolve(args.dir), args.stack).values;
    } catch (err) {
      if (!(err instanceof StackFileError)) throw err;
      throw new Refusal(err.message);
    }
  } else {
    console.error(`(no Pulumi.${args.stack}.yaml here: the default thresholds)`);
  }
  const read = thresholdsOf(args.stack, values);
  if ("problem" in read) throw new Refusal(read.problem);
  const soakMinutes = Number(args.window ?? values["shithubd:soakMinutes"] ?? "30");
  try {
    const transport = args.via === undefined ? direct : viaSsh(args.via, (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== ""));
    const measured = await measure(args.prometheus, args.stack, soakMinutes * 60, now, transport);
    const result = judgeCanary(measured, read.thresholds);
    console.log(renderCanary(measured, result));
    const code = result.verdict === "pass" ? EXIT.ok : result.verdict === "fail" ? EXIT.fail : EXIT.noVerdict;
    const verdict = verdictOf(measured, result);
    if (args.record && verdict !== undefined) {
      const pulumiArgs = recordVerdictArgs(args.stack, verdict);
      const command = `pulumi ${pulumiArgs.map(shellQuote).join(" ")}`;
      const set = spawnSync("pulumi", pulumiArgs, { stdio: ["ignore", "inherit", "inherit"] });
      if (set.error !== undefined || set.status !== 0) {
        throw new Refusal(`could not record the verdict (${set.error?.message ?? `pulumi exited ${set.status}`}); run:\n  ${command}`);
      }
      console.log(`recorded: ${command}\nthen: commit Pulumi.${args.stack}.yaml in a pull request; merged, CI's deploy of ${args.stack} exports it for the promotion gate (docs/runbooks/release.md)`);
    }
    return code;
  } catch (err) {
    if (!(err instanceof PrometheusError)) throw err;
    console.error(`error: ${err.message}\n  the monitoring host's Prometheus listens on its private address (pulumi stack output hosts lists it): --prometheus http://<that address>:9090 --via root@<the monitoring host's public address>`);
    return EXIT.noVerdict;
  }
}

if (require.main === module) runCommand(CANARY_COMMAND, main);

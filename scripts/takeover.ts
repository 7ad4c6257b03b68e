// npm run takeover -- <verb>: taking a live forge over (docs/runbooks/takeover.md); --help lists the verbs.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { bucketImportFile, urnParts } from "../components/takeover/bucketImport";
import type { AdoptedBucket } from "../components/takeover/bucketImport";
import { Takeover, TakeoverError } from "../components/takeover/takeover";
import type { TakeoverHosts } from "../components/takeover/takeover";
import { sshRemote } from "../components/takeover/sshRemote";
import { runOffline, valueOf } from "../offline/run";
import { StackFileError, loadStackFile } from "../offline/stackFile";
import { DIR_OPTION, EXIT, optional, Refusal, required, runCommand, STACK_OPTION, UsageError } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const TAKEOVER_COMMAND: CommandSpec = {
  script: "takeover",
  summary: "take a live forge over onto a stack, with nothing lost and a short, measured window (docs/runbooks/takeover.md)",
  synopsis: [
    "import-file --stack <name> [--out <file>] [--dir <dir>]",
    "prepare|sync|window|abort|retire --stack <name> --source <address> --app <address> [--db <address>] [--retry-after <seconds>] [--dir <dir>]",
  ],
  verbs: {
    "import-file": "write the file `pulumi import --file` takes to adopt the buckets that already exist (before the stack's first up)",
    prepare: "(stack in standby) the live database replicating into the stack's through SSH, the repositories copied by rsync and checked",
    sync: "copy the repositories' changes again, to make the window's copy small",
    window: "the live forge stops taking writes; the last changes; every row and ref compared. On any difference it comes back out of the window",
    abort: "back to before prepare: the live forge serving, nothing of the takeover left on either side",
    retire: "after the switch: nothing of the old forge runs again; its data stays",
  },
  options: {
    stack: STACK_OPTION,
    source: { type: "string", value: "<address>", help: "the live box's address (shithubd:takeoverSource)" },
    app: { type: "string", value: "<address>", help: "the stack's app host's public address (pulumi stack output hosts)" },
    db: { type: "string", value: "<address>", help: "the stack's db host's public address (default: the app host's)" },
    "retry-after": { type: "string", default: "300", value: "<seconds>", help: "window: the Retry-After the live forge answers with" },
    out: { type: "string", value: "<file>", help: "import-file: where to write (default: takeover-import.<stack>.json)" },
    dir: DIR_OPTION,
  },
  env: { SHITHUB_SSH: "the ssh command that reaches each host as root (default: ssh); its known_hosts must pin the hosts" },
  exits: {
    [EXIT.ok]: "done",
    [EXIT.fail]: "a step failed or the stack's config does not allow it (window: the live forge is back out of it, with every write)",
    [EXIT.usage]: "the command line is wrong",
  },
};

async function importFile(stack: string, dir: string, out: string | undefined): Promise<number> {
  const result = await runOffline(loadStackFile(dir, stack));
  if (!result.ok) throw new Refusal(result.message);
  const { environment } = result.program;
  const ancestors = [urnParts(await valueOf(environment.urn)), urnParts(await valueOf(environment.backups.urn))];
  const buckets: AdoptedBucket[] = [];
  for (const bucket of Object.values(environment.backups.buckets)) {
    const { type, name } = urnParts(await valueOf(bucket.urn));
    buckets.push({ type, name, region: await valueOf(bucket.region as pulumi.Output<string>), bucket: await valueOf(bucket.name) });
  }
  const file = out ?? join(dir, `takeover-import.${stack}.json`);
  writeFileSync(file, `${JSON.stringify(bucketImportFile(ancestors, buckets), null, 2)}\n`);
  process.stdout.write([
    `Wrote ${file}: ${buckets.length} buckets of stack '${stack}'.`,
    ...buckets.map((b) => `  ${b.bucket} (${b.region})`),
    "Import the ones that already exist before the stack's first up (remove the others from the file):",
    `  pulumi import --file ${file} --generate-code=false -s ${stack}`,
    "",
  ].join("\n"));
  return EXIT.ok;
}

/** The stack is in standby with this live box as its source: its db host may reach the box's SSH, and shithubd does not run on it. */
function standbyProblem(dir: string, stack: string, source: string): string | undefined {
  const { values } = loadStackFile(dir, stack);
  const fix = `pulumi config set shithubd:takeover standby -s ${stack} && pulumi config set shithubd:takeoverSource ${source} -s ${stack} && pulumi up -s ${stack}`;
  if (values["shithubd:takeover"] !== "standby") return `stack ${stack}: shithubd:takeover is not standby, so shithubd would run on a copy of the live database. Fix: ${fix}`;
  if (values["shithubd:takeoverSource"] !== source) return `stack ${stack}: shithubd:takeoverSource is ${values["shithubd:takeoverSource"] ?? "unset"}, not ${source}, so the db host cannot reach the live box. Fix: ${fix}`;
  return undefined;
}

async function hostVerb(verb: string, stack: string, dir: string, hosts: TakeoverHosts, retryAfter: number): Promise<number> {
  if (verb === "prepare" || verb === "sync" || verb === "window") {
    const problem = standbyProblem(dir, stack, hosts.source);
    if (problem !== undefined) throw new Refusal(problem);
  }
  const ssh = (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== "");
  const takeover = new Takeover(sshRemote(ssh, hosts), hosts, (line) => process.stderr.write(`takeover: ${line}\n`));
  switch (verb) {
    case "prepare":
      await takeover.prepare();
      process.stdout.write(`Prepared: the live database replicates into the stack's, the repositories are copied. Next, in the window:\n  npm run takeover -- window --stack ${stack} --source ${hosts.source} --app ${hosts.app} --db ${hosts.db}\n`);
      break;
    case "sync":
      process.stdout.write(`${(await takeover.sync()).length} repositories changed since the last copy\n`);
      break;
    case "window": {
      const seconds = await takeover.window(retryAfter);
      process.stdout.write([
        `window: ${seconds.toFixed(1)} s without writes; every row and ref equal, git fsck clean.`,
        "Now, while the live forge answers 503 (docs/runbooks/takeover.md):",
        `  point the domain's A/AAAA records at the stack's app host (${hosts.app}), then`,
        `  pulumi config rm shithubd:takeover -s ${stack} && pulumi config rm shithubd:takeoverSource -s ${stack} && pulumi up -s ${stack}`,
        `  npm run takeover -- retire --stack ${stack} --source ${hosts.source} --app ${hosts.app}`,
        "",
      ].join("\n"));
      break;
    }
    case "abort":
      await takeover.abort();
      process.stdout.write("Aborted: the live forge serves and takes writes; nothing of the takeover is left on either side.\n");
      break;
    case "retire":
      await takeover.retire();
      process.stdout.write("Retired: nothing of the old forge runs on the live box; its data stays in /data.\n");
      break;
  }
  return EXIT.ok;
}

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const dir = resolve(optional(parsed, "dir") ?? ".");
  try {
    if (parsed.verb === "import-file") return await importFile(stack, dir, optional(parsed, "out"));
    const source = required(parsed, "source");
    const app = required(parsed, "app");
    const retryAfter = optional(parsed, "retry-after") ?? "300";
    if (!/^[1-9]\d{0,4}$/.test(retryAfter)) throw new UsageError(`--retry-after ${retryAfter} is not a whole number of seconds (1 to 99999)`);
    return await hostVerb(parsed.verb!, stack, dir, { source, app, db: optional(parsed, "db") ?? app }, Number(retryAfter));
  } catch (err) {
    if (err instanceof StackFileError || err instanceof TakeoverError) throw new Refusal(err.message);
    throw err;
  }
}

if (require.main === module) runCommand(TAKEOVER_COMMAND, main);

// npm run takeover -- <verb> --stack <name> ...: taking a live forge over (docs/takeover.md).
//   import-file  the file `pulumi import --file` takes to adopt the buckets that already exist
//                under the names the stack gives them; run it before the stack's first `pulumi up`
//   prepare      (the stack up in standby) the live database replicating into the stack's, the
//                repositories copied and checked, while the live forge serves
//   sync         the repositories' changes copied again (makes the window's copy shorter)
//   window       the live forge stops taking writes; last changes, every row and ref compared; on
//                any difference it comes back out of the window; prints the window's length
//   abort        back to before prepare, the live forge serving and taking writes
//   retire       after the switch: nothing of the old forge runs again
// Hosts are reached as root over SSH (SHITHUB_SSH, default ssh, whose known_hosts must pin them).
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { bucketImportFile, urnParts } from "../components/takeover/bucketImport";
import type { AdoptedBucket } from "../components/takeover/bucketImport";
import { Takeover, TakeoverError } from "../components/takeover/takeover";
import type { TakeoverHosts } from "../components/takeover/takeover";
import { sshRemote } from "../components/takeover/sshRemote";
import { runOffline, valueOf } from "../offline/run";
import { StackFileError, loadStackFile } from "../offline/stackFile";

const USAGE = [
  "usage: npm run takeover -- import-file --stack <name> [--dir PROJECT_DIR] [--out FILE]",
  "       npm run takeover -- prepare|sync|window|abort|retire --stack <name> --source <address> --app <address> [--db <address>] [--retry-after SECONDS] [--dir PROJECT_DIR]",
  "exit codes: 0 done; 1 a step failed (window: the live forge is back out of it); 2 usage; 3 the stack's config does not allow it",
].join("\n");
const HOST_VERBS = ["prepare", "sync", "window", "abort", "retire"];

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: {
      stack: { type: "string", short: "s" }, dir: { type: "string", default: "." }, out: { type: "string" }, help: { type: "boolean", short: "h" },
      source: { type: "string" }, app: { type: "string" }, db: { type: "string" }, "retry-after": { type: "string", default: "300" },
    } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const verb = positionals[0] ?? "";
  if (!["import-file", ...HOST_VERBS].includes(verb) || positionals.length !== 1 || values.stack === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const stack = values.stack;
  if (verb !== "import-file") {
    const { source, app } = values;
    const retryAfter = values["retry-after"];
    if (source === undefined || app === undefined || !/^[1-9]\d{0,4}$/.test(retryAfter)) {
      process.stderr.write(`${verb} needs --source and --app (and --retry-after a whole number of seconds)\n${USAGE}\n`);
      return 2;
    }
    return hostVerb(verb, stack, resolve(values.dir), { source, app, db: values.db ?? app }, Number(retryAfter));
  }
  let result;
  try {
    result = await runOffline(loadStackFile(resolve(values.dir), stack));
  } catch (err) {
    if (err instanceof StackFileError) {
      process.stderr.write(`${err.message}\n`);
      return 3;
    }
    throw err;
  }
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    return 3;
  }
  const { environment } = result.program;
  const ancestors = [urnParts(await valueOf(environment.urn)), urnParts(await valueOf(environment.backups.urn))];
  const buckets: AdoptedBucket[] = [];
  for (const bucket of Object.values(environment.backups.buckets)) {
    const { type, name } = urnParts(await valueOf(bucket.urn));
    buckets.push({ type, name, region: await valueOf(bucket.region as pulumi.Output<string>), bucket: await valueOf(bucket.name) });
  }
  const out = values.out ?? join(resolve(values.dir), `takeover-import.${stack}.json`);
  writeFileSync(out, `${JSON.stringify(bucketImportFile(ancestors, buckets), null, 2)}\n`);
  process.stdout.write([
    `Wrote ${out}: ${buckets.length} buckets of stack '${stack}'.`,
    ...buckets.map((b) => `  ${b.bucket} (${b.region})`),
    "Import the ones that already exist before the stack's first up (remove the others from the file):",
    `  pulumi import --file ${out} --generate-code=false -s ${stack}`,
    "",
  ].join("\n"));
  return 0;
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
    let problem;
    try {
      problem = standbyProblem(dir, stack, hosts.source);
    } catch (err) {
      if (err instanceof StackFileError) problem = err.message;
      else throw err;
    }
    if (problem !== undefined) {
      process.stderr.write(`${problem}\n`);
      return 3;
    }
  }
  const ssh = (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== "");
  const takeover = new Takeover(sshRemote(ssh, hosts), hosts, (line) => process.stderr.write(`takeover: ${line}\n`));
  try {
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
          "Now, while the live forge answers 503:",
          `  pulumi config rm shithubd:takeover -s ${stack} && pulumi config rm shithubd:takeoverSource -s ${stack} && pulumi up -s ${stack}`,
          `  point the domain's A/AAAA records at the stack's app host (${hosts.app}), then:`,
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
  } catch (err) {
    if (err instanceof TakeoverError) {
      process.stderr.write(`takeover ${verb}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

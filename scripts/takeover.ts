// npm run takeover -- import-file --stack <name> [--dir PROJECT_DIR] [--out FILE]
// Writes the file `pulumi import --file` takes to adopt the buckets that already exist under the
// names the stack gives them (the live forge's), and prints the command that imports them.
// Run it before the stack's first `pulumi up` (docs/takeover.md).
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { bucketImportFile, urnParts } from "../components/takeover/bucketImport";
import type { AdoptedBucket } from "../components/takeover/bucketImport";
import { runOffline, valueOf } from "../offline/run";
import { StackFileError, loadStackFile } from "../offline/stackFile";

const USAGE = "usage: npm run takeover -- import-file --stack <name> [--dir PROJECT_DIR] [--out FILE]";

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { stack: { type: "string", short: "s" }, dir: { type: "string", default: "." }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] !== "import-file" || positionals.length !== 1 || values.stack === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const stack = values.stack;
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

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

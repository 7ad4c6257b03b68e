// npm run plan -- --stack <name> [--out DIR] [--dir PROJECT_DIR] [--strict]
// Runs the Pulumi program offline (Pulumi's mock runtime) with a stack file's config, prints
// what it would register and writes every rendered host file under DIR.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runOffline } from "../offline/run";
import type { RecordedResource } from "../offline/run";
import { StackFileError, loadStackFile } from "../offline/stackFile";

const USAGE = "usage: npm run plan -- --stack <staging|production> [--out DIR] [--dir PROJECT_DIR] [--strict]";

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()}`);
}

function describe(r: RecordedResource): string[] {
  return [r.custom ? "+" : "+ (component)", r.type, r.name];
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: "string" },
        out: { type: "string" },
        dir: { type: "string", default: "." },
        strict: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.stack === undefined) {
    console.error(USAGE);
    return 2;
  }
  const stack = args.stack;
  const out = resolve(args.out ?? join("plan", stack));

  let cfg;
  try {
    cfg = loadStackFile(resolve(args.dir), stack);
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  const result = await runOffline(cfg, { placeholdersForUnsetSecrets: !args.strict });
  if (!result.ok) {
    console.error(`error: ${result.message}`);
    return 1;
  }

  const { version, region, domain } = result.outputs as { version: string; region: string; domain: string };
  console.log(`Offline plan of stack '${stack}': shithubd ${version}, ${region}, ${domain}`);
  console.log("(the Pulumi program under Pulumi's mock runtime: no engine, no cloud calls)\n");
  console.log(`Resources (${result.resources.length}):`);
  console.log(table(result.resources.map(describe)).join("\n"));

  console.log(`\nHost files (${result.files.length}), written under ${out}:`);
  const rows: string[][] = [];
  for (const file of result.files) {
    const target = join(out, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { mode: 0o600 });
    chmodSync(target, 0o600);
    const count = file.content.split("\n").filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).length;
    rows.push([file.path, `${count} variables`, file.secret ? "secret output" : "plain output"]);
  }
  console.log(table(rows).join("\n"));

  console.log("\nStack outputs:");
  for (const [key, value] of Object.entries(result.outputs)) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    console.log(`  ${key}: ${text.length > 100 ? `${text.slice(0, 97)}...` : text}`);
  }

  if (result.unsetSecrets.length > 0) {
    console.log(`\nSecrets not yet set in ${cfg.file} (planned with placeholders; \`pulumi preview\` stops until they are set):`);
    for (const { fix } of result.unsetSecrets) console.log(`  ${fix}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(3);
  },
);

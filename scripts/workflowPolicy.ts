// What the workflows may do with the stacks' secrets (docs/explanation/ci.md), as checks on their text:
// no secret of a stack reaches code no reviewer approved, and nothing runs unpinned.
import { parse } from "yaml";

/** Environments that hold a stack's deploy secrets: one per stack file (Pulumi.<stack>.yaml). */
export interface WorkflowPolicy {
  readonly deployEnvironments: readonly string[];
  /** The environments a pull request's code may run in: read-only keys, never production's. */
  readonly previewEnvironments: readonly string[];
  /** The self-hosted runner's label inside the admin network, where deploys run. */
  readonly deployRunnerLabel: string;
}

export const WORKFLOW_POLICY: WorkflowPolicy = {
  deployEnvironments: ["staging", "production"],
  previewEnvironments: ["staging-preview"],
  deployRunnerLabel: "shithub-deploy",
};

interface Step { readonly uses?: string; readonly run?: string; readonly with?: Record<string, unknown> }
interface Job {
  readonly if?: string;
  readonly "runs-on"?: string | readonly string[];
  readonly environment?: string | { readonly name?: string };
  readonly uses?: string;
  readonly steps?: readonly Step[];
}
interface Workflow { readonly on?: unknown; readonly jobs?: Record<string, Job> }

const SHA_PIN = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;
const MAIN_ONLY = /github\.ref\s*==\s*'refs\/heads\/main'/;

/** The events a workflow runs on, whatever form `on:` takes. */
function triggers(on: unknown): string[] {
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return on !== null && typeof on === "object" ? Object.keys(on) : [];
}

function environmentName(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** Each `uses:` line: pinned by a full commit SHA, with the release it is in a trailing comment. */
function pinProblems(text: string, file: string): string[] {
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(#\s*(\S+))?\s*$/.exec(line);
    if (!m || m[1]!.startsWith("./") || m[1]!.startsWith("docker://")) return;
    const where = `${file}:${i + 1}`;
    if (!SHA_PIN.test(m[1]!)) problems.push(`${where}: uses ${m[1]}: pin the action by its full commit SHA (uses: owner/repo@<40 hex> # vX.Y.Z); a tag can be moved to other code`);
    else if (!/^v\d+(\.\d+){0,2}$/.test(m[3] ?? "")) problems.push(`${where}: uses ${m[1]}: say which release the SHA is with a trailing comment (# vX.Y.Z)`);
  });
  return problems;
}

/** The policy's findings for one workflow file; an empty list is clean. */
export function workflowPolicyProblems(text: string, file: string, policy: WorkflowPolicy = WORKFLOW_POLICY): string[] {
  const doc = parse(text) as Workflow;
  const on = triggers(doc.on);
  const problems = pinProblems(text, file);
  if (on.includes("pull_request_target")) problems.push(`${file}: on pull_request_target: it runs with the repository's secrets in the base context; use pull_request (and workflow_run for what needs write access)`);
  const pullRequest = on.includes("pull_request");
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const where = `${file}: jobs.${name}`;
    const jobText = JSON.stringify(job);
    const env = environmentName(job);
    const usesSecrets = /\bsecrets\.(?!GITHUB_TOKEN\b)/.test(jobText) || /secrets:\s*inherit/.test(jobText);
    if (usesSecrets && env === undefined) problems.push(`${where}: reads secrets without an environment: a stack's secrets are environment secrets (docs/explanation/ci.md), never repository secrets`);
    // An expression (a stack input) can name any environment: it counts as a deploy one.
    const deploys = env !== undefined && (policy.deployEnvironments.includes(env) || env.includes("${{"));
    if (env !== undefined && !deploys && !policy.previewEnvironments.includes(env)) problems.push(`${where}: environment ${env} is neither a stack's (${policy.deployEnvironments.join(", ")}) nor a preview's (${policy.previewEnvironments.join(", ")})`);
    if (deploys && pullRequest) problems.push(`${where}: environment ${env} in a workflow that pull requests start: a pull request's code may only get a preview environment (${policy.previewEnvironments.join(", ")})`);
    if (deploys && !MAIN_ONLY.test(job.if ?? "")) problems.push(`${where}: environment ${env} without if: github.ref == 'refs/heads/main': a dispatch can pick any branch`);
    const runsOn = ([] as string[]).concat(job["runs-on"] ?? []);
    if (deploys && !(runsOn.includes("self-hosted") && runsOn.includes(policy.deployRunnerLabel))) problems.push(`${where}: environment ${env} runs on ${runsOn.join(", ") || "nothing"}: deploys run on [self-hosted, ${policy.deployRunnerLabel}], inside the admin network the hosts take SSH from`);
    (job.steps ?? []).forEach((step, i) => {
      const at = `${where}.steps[${i}]`;
      if (step.uses?.startsWith("actions/checkout@") && step.with?.["persist-credentials"] !== false) problems.push(`${at}: actions/checkout without persist-credentials: false leaves the job's token in .git/config for every later step`);
      for (const line of (step.run ?? "").split("\n")) {
        if (/\bnpm\s+(ci|install|i)\b/.test(line) && !line.includes("--ignore-scripts")) problems.push(`${at}: "${line.trim()}": npm runs every dependency's install scripts; add --ignore-scripts`);
      }
    });
  }
  return problems;
}

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pulumiActionProblems } from "../../scripts/lintWorkflows";
import { WORKFLOW_POLICY, workflowPolicyProblems } from "../../scripts/workflowPolicy";

// Where the stacks' secrets may go (security review N1): each case is one way a workflow would hand
// a secret to code no reviewer approved, or run code nobody pinned, made from the committed files.
const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const read = (f: string) => readFileSync(join(WORKFLOWS, f), "utf8");
const problems = (text: string) => workflowPolicyProblems(text, "w.yml");

describe("the workflows' secrets policy", () => {
  it("passes the committed workflows", () => {
    for (const f of readdirSync(WORKFLOWS)) expect([f, workflowPolicyProblems(read(f), f)]).toEqual([f, []]);
  });

  it("knows one deploy environment per stack file", () => {
    const stacks = readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);
    expect([...WORKFLOW_POLICY.deployEnvironments].sort()).toEqual(stacks.sort());
  });

  it("refuses an action pinned by a tag, or by a SHA without the release it is", () => {
    expect(problems(read("deploy.yml").replace(/actions\/checkout@[0-9a-f]{40} # v4\.4\.0/, "actions/checkout@v4")))
      .toEqual([expect.stringMatching(/^w\.yml:\d+: uses actions\/checkout@v4: pin the action by its full commit SHA/)]);
    expect(problems(read("deploy.yml").replace(" # v4.4.0", "")))
      .toEqual([expect.stringMatching(/uses actions\/checkout@[0-9a-f]{40}: say which release the SHA is/)]);
  });

  it("refuses a pull request's job holding a stack's deploy environment, or secrets with no environment", () => {
    const preview = read("preview.yml");
    expect(problems(preview.replace("environment: staging-preview", "environment: production")))
      .toContain("w.yml: jobs.preview: environment production in a workflow that pull requests start: a pull request's code may only get a preview environment (staging-preview)");
    expect(problems(preview.replace("    environment: staging-preview\n", "")))
      .toEqual(["w.yml: jobs.preview: reads secrets without an environment: a stack's secrets are environment secrets (docs/explanation/ci.md), never repository secrets"]);
    expect(problems(preview.replace("on:\n  pull_request:", "on:\n  pull_request_target:")))
      .toContainEqual(expect.stringMatching(/^w\.yml: on pull_request_target: it runs with the repository's secrets/));
  });

  it("refuses a deploy that any branch can dispatch, or that runs outside the admin network", () => {
    const deploy = read("deploy.yml");
    expect(problems(deploy.replace("    if: github.ref == 'refs/heads/main'\n", "")))
      .toEqual(["w.yml: jobs.up: environment ${{ inputs.stack || 'staging' }} without if: github.ref == 'refs/heads/main': a dispatch can pick any branch"]);
    expect(problems(deploy.replace("runs-on: [self-hosted, shithub-deploy]", "runs-on: ubuntu-24.04")))
      .toEqual([expect.stringMatching(/jobs\.up: environment .* runs on ubuntu-24\.04: deploys run on \[self-hosted, shithub-deploy\]/)]);
  });

  it("refuses a checkout that keeps its token, and npm running install scripts", () => {
    const deploy = read("deploy.yml");
    expect(problems(deploy.replace("          persist-credentials: false\n", "          fetch-depth: 1\n")))
      .toEqual(["w.yml: jobs.up.steps[0]: actions/checkout without persist-credentials: false leaves the job's token in .git/config for every later step"]);
    expect(problems(deploy.replace("npm ci --ignore-scripts", "npm ci")))
      .toEqual(['w.yml: jobs.up.steps[2]: "npm ci": npm runs every dependency\'s install scripts; add --ignore-scripts']);
  });

  it("takes pulumi/actions pinned by a SHA of v7, and refuses one whose comment says another major", () => {
    const deploy = read("deploy.yml");
    expect(pulumiActionProblems(deploy, "w.yml")).toEqual([]);
    expect(pulumiActionProblems(deploy.replace("# v7.0.0", "# v6.6.1"), "w.yml"))
      .toEqual([expect.stringMatching(/^w\.yml: jobs\.up\.steps\[3\]: uses pulumi\/actions@[0-9a-f]{40}; the current major is pulumi\/actions@v7/)]);
  });
});

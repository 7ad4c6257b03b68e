import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stackCopy } from "./stackCopy";

/** `npm run plan -- ARGS`, as an operator runs it (ts-node, without npm's banner). */
function plan(...args: string[]) {
  const result = spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, "scripts", "plan.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run plan", () => {
  it("prints the plan of a stack and writes its host files, 0600", () => {
    const out = mkdtempSync(join(tmpdir(), "plan-"));
    const run = plan("--stack", "production", "--out", out);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Offline plan of stack 'production': shithubd v1.8.0, nyc3, shithub.sh");
    expect(run.stdout).toMatch(/\+ component\s+shithub:Environment\s+production/);
    expect(run.stdout).toMatch(/\+\s+digitalocean:Volume\s+shithub-data\s+100 GiB ext4 label shithub-data\s+protect retainOnDelete/);
    expect(run.stdout).toContain("A www.shithub.sh -> ");
    expect(run.stdout).toContain("pulumi config set --secret shithubd:SHITHUB_AUTH__POSTMARK__SERVER_TOKEN");
    for (const file of ["web.env", "worker.env"]) {
      const path = join(out, "shithub-app", "etc", "shithub", file);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, "utf8")).toContain('SHITHUB_AUTH__EMAIL_BACKEND="postmark"');
    }
    for (const host of ["shithub-app", "shithub-db", "shithub-backup", "shithub-monitoring"]) {
      expect(readFileSync(join(out, host, "var", "lib", "cloud", "instance", "user-data.txt"), "utf8")).toMatch(/^#cloud-config\n/);
    }
    expect(existsSync(join(out, "shithub-db", "etc", "shithub", "web.env"))).toBe(false);
  });

  it("fails with the program's message, exit 1, and writes nothing for a bad stack", () => {
    const dir = stackCopy("staging", (c) => {
      c["shithubd:SHITHUB_AUTH__EMAIL_BACKNED"] = "postmark";
    });
    const out = join(mkdtempSync(join(tmpdir(), "plan-")), "out");
    const run = plan("--stack", "staging", "--dir", dir, "--out", out);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("error: Stack 'staging' has 1 configuration problem; no resource was registered and no host was touched:");
    expect(run.stderr).toContain("did you mean SHITHUB_AUTH__EMAIL_BACKEND?");
    expect(existsSync(out)).toBe(false);
  });

  it("names a missing stack file with the fix, exit 1 like pulumi preview; shows usage without --stack", () => {
    expect(plan("--stack", "nope")).toMatchObject({ code: 1, stderr: expect.stringMatching(/Pulumi\.nope\.yaml does not exist: there is no stack named 'nope' here\n {2}fix: pulumi stack init nope/) });
    expect(plan()).toMatchObject({ code: 64, stderr: expect.stringMatching(/^error: --stack is required\nusage:\n {2}npm run plan -- --stack <name>/) });
    expect(plan("-s", "nope")).toMatchObject({ code: 1 });
    expect(plan("--stack", "staging", "--strikt")).toMatchObject({ code: 64, stderr: expect.stringContaining("Unknown option '--strikt'") });
  });

  it("a file-level error of the stack file: its path, line and fix, exit 1, nothing written", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-dup-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.staging.yaml"), `${readFileSync(join(ROOT, "Pulumi.staging.yaml"), "utf8")}  shithubd:version: v9.9.9\n`);
    const out = join(dir, "out");
    const run = plan("--stack", "staging", "--dir", dir, "--out", out);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^error: ${join(dir, "Pulumi.staging.yaml")}:\\d+:3: 'shithubd:version' is set twice \\(lines 4 and \\d+\\)`));
    expect(run.stderr).toContain("fix: delete one of the two lines, or pulumi config set shithubd:version VALUE -s staging, which keeps one");
    expect(existsSync(out)).toBe(false);
  });

  describe("--diff GIT_REF", () => {
    // A clone of this repository, as a reviewer's working tree: its committed HEAD and an edit on top.
    const clone = mkdtempSync(join(tmpdir(), "plan-diff-"));
    beforeAll(() => {
      execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, clone]);
      symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
    });
    afterAll(() => rmSync(clone, { recursive: true, force: true }));

    it("a clean tree against HEAD: no changes, exit 0", () => {
      const run = plan("--stack", "staging", "--dir", clone, "--diff", "HEAD");
      expect({ code: run.code, stdout: run.stdout.trim() }).toEqual({ code: 0, stdout: "Plan diff of stack 'staging': the working tree against HEAD\nno changes" });
    });

    it("a unit template edited: that unit's diff on every host it lands on, the step that sends it, nothing else", () => {
      const unit = join(clone, "templates", "systemd", "shithubd-web.service.mustache");
      writeFileSync(unit, readFileSync(unit, "utf8").replace("RestartSec=2\n", "RestartSec=3\n"));
      try {
        const run = plan("--stack", "production", "--dir", clone, "--diff", "HEAD");
        expect(run.code).toBe(0);
        // The release step sends the unit; its audit line names the new release bundle (its digest).
        expect(run.stdout).toContain("Resources: 0 to create, 2 to update, 0 to replace, 0 to delete\n  ~  command:remote:Command shithub-app-release (stdin [secret])\n  ~  command:remote:Command shithub-app-audit (stdin [secret])\n");
        expect(run.stdout).toContain("Host files and steps' programs: 3 changed on 1 host\n\nshithub-app:\n--- a/etc/systemd/system/shithubd-web.service\tHEAD\n");
        expect(run.stdout).toMatch(/^-AUDIT_RELEASE=[0-9a-f]{12}\n\+AUDIT_RELEASE=[0-9a-f]{12}$/m);
        expect(run.stdout).toContain("-RestartSec=2\n+RestartSec=3\n");
      } finally {
        execFileSync("git", ["-C", clone, "checkout", "-q", "--", "."]);
      }
    });

    it("a version bump: the release per app host, version and checksum, and its step's variables, secret names masked", () => {
      const file = join(clone, "Pulumi.staging.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace(/shithubd:version: v1\.8\.1/, "shithubd:version: v1.9.0"));
      try {
        const run = plan("--stack", "staging", "--dir", clone, "--diff", "HEAD");
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^Release on shithub-staging: v1\.8\.1 → v1\.9\.0 \(sha256 unchanged: .+\)$/m);
        expect(run.stdout).toMatch(/^\+RELEASE_VERSION=.*v1\.9\.0/m);
        expect(run.stdout).toMatch(/^\+ARTIFACT_URL=<secret value \d+>$/m);
      } finally {
        execFileSync("git", ["-C", clone, "checkout", "-q", "--", "."]);
      }
    });

    it("a setup script edited: its unified diff under the step that runs it, on every host that runs it", () => {
      const script = join(clone, "templates", "scripts", "shithub-db-setup.sh");
      writeFileSync(script, `${readFileSync(script, "utf8")}# reviewed\n`);
      try {
        const run = plan("--stack", "production", "--dir", clone, "--diff", "HEAD");
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^shithub-db:\n--- a\/run\/shithub-db-setup\.bundle/m);
        expect(run.stdout).toContain("+# reviewed\n");
      } finally {
        execFileSync("git", ["-C", clone, "checkout", "-q", "--", "."]);
      }
    });

    it("a ref git does not know: exit 1, saying so", () => {
      expect(plan("--stack", "staging", "--dir", clone, "--diff", "no-such-ref")).toMatchObject({ code: 1, stderr: expect.stringContaining("error: 'no-such-ref' is not a commit of the repository at") });
    });
  });
});

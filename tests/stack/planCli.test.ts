import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
    expect(plan()).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: npm run plan/) });
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
});

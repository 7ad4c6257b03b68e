import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS } from "../../scripts/cli/commands";
import { REFERENCES } from "../../scripts/docsReference";
import { ageKeyPair } from "../helpers";
import { ROOT } from "./stackCopy";

// Every npm script an operator runs behaves as a tool: --help, one meaning per exit code, a
// reference that is its own --help and cannot drift.

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
/** The scripts that are the project's own machinery, not an operator's commands. */
const MACHINERY = ["build", "test", "test:host", "test:tools"];

describe("the operator's commands", () => {
  it("every npm script is either machinery or a command with a spec", () => {
    const commands = Object.keys(pkg.scripts).filter((s) => !MACHINERY.includes(s)).sort();
    expect(commands).toEqual([...COMMANDS.map((c) => c.script), "docs:reference"].sort());
  });

  it.each(Object.keys(REFERENCES))("%s is what npm run docs:reference writes now", (path) => {
    expect(readFileSync(join(ROOT, path), "utf8")).toBe(REFERENCES[path]!());
  });

  it.each([...COMMANDS.map((c) => c.script), "docs:reference"])("npm run %s -- --help prints its help and exits 0; an unknown option exits 64 with the usage", (script) => {
    const file = /^ts-node --swc (\S+)$/.exec(pkg.scripts[script]!)?.[1];
    expect(file).toBeDefined();
    const run = (...args: string[]) => spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, file!), ...args], { cwd: ROOT, encoding: "utf8" });
    const help = run("--help");
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: "" });
    expect(help.stdout).toMatch(new RegExp(`^npm run ${script}: `));
    expect(help.stdout).toContain("exit codes:");
    const wrong = run("--no-such-option");
    expect({ status: wrong.status, stdout: wrong.stdout }).toEqual({ status: 64, stdout: "" });
    expect(wrong.stderr).toMatch(/^error: Unknown option '--no-such-option'.*\nusage:\n/);
  });

  it("backup:check-identity refuses, with exit 1 and before any SSH, an identity whose recipient the stack does not list, and a file that is no identity", () => {
    const dir = mkdtempSync(join(tmpdir(), "shithub-check-identity-"));
    try {
      copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      const listed = ageKeyPair();
      const other = ageKeyPair();
      writeFileSync(join(dir, "Pulumi.s.yaml"), `config:\n  shithubd:backupRecipients:\n    - ${listed.recipient}\n`);
      writeFileSync(join(dir, "other.key"), `${other.identity}\n`);
      writeFileSync(join(dir, "nothing.key"), "not a key\n");
      // An ssh that would leave a mark: it must not run.
      const run = (...args: string[]) => spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, "scripts", "checkIdentity.ts"), "--stack", "s", "--dir", dir, "--host", "192.0.2.1", ...args],
        { cwd: dir, encoding: "utf8", env: { ...process.env, SHITHUB_SSH: `touch ${join(dir, "ssh-ran")}` } });
      const wrong = run("--identity", join(dir, "other.key"));
      expect({ status: wrong.status, stdout: wrong.stdout, stderr: wrong.stderr }).toEqual({
        status: 1, stdout: "",
        stderr: `error: the identity in ${join(dir, "other.key")} (recipient ${other.recipient}) is not one of the recipients of stack s (shithubd:backupRecipients lists 1): it opens none of its backups. Nothing was recorded.\n`,
      });
      const nothing = run("--identity", join(dir, "nothing.key"));
      expect({ status: nothing.status, stderr: nothing.stderr }).toEqual({ status: 1, stderr: `error: ${join(dir, "nothing.key")} holds no age identity (a line AGE-SECRET-KEY-1...): give the file age-keygen wrote. Nothing was recorded.\n` });
      expect(existsSync(join(dir, "ssh-ran"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

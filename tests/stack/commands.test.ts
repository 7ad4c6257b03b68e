import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../../scripts/cli/commands";
import { REFERENCES } from "../../scripts/docsReference";
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
});

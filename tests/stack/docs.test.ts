import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { COMMANDS } from "../../scripts/cli/commands";
import { ROOT } from "./stackCopy";

// Runbooks that cannot rot: every shell block in README.md and docs/ says how it is kept true,
// on the line before it.
//   <!-- offline -->            run here, as written, in a clone of this repository
//   <!-- live: <test files> --> needs a live stack or the Pulumi CLI; those tests run the same
//                               steps on booted droplets or the program. Its npm commands are
//                               checked against the commands' own specs.
//   <!-- ci -->                 the test commands themselves: .ci/run runs them
// The one substitution: `npm ci` is the clone's node_modules, already installed.

interface Block {
  readonly file: string;
  readonly line: number;
  readonly marker: string | undefined;
  readonly text: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : []);
}

function shellBlocks(path: string): Block[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    const marker = /^<!-- (.+) -->$/.exec(lines[start - 1] ?? "")?.[1];
    blocks.push({ file: relative(ROOT, path), line: start + 1, marker, text: body.join("\n") });
  }
  return blocks;
}

const BLOCKS = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))].flatMap(shellBlocks);
const where = (b: Block) => `${b.file}:${b.line}`;

/** `npm run <script> -- <args>` in a block: the script, the flags and the first word after `--`. */
function npmRuns(text: string): Array<{ script: string; flags: string[]; verb?: string }> {
  return [...text.matchAll(/npm run ([\w:]+)(?: -- ([^#&|;\n]*))?/g)].map((m) => {
    const words = (m[2] ?? "").trim().split(/\s+/).filter((w) => w !== "");
    const verb = words[0] !== undefined && !words[0].startsWith("-") ? words[0] : undefined;
    return { script: m[1]!, flags: words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0]!), ...(verb !== undefined ? { verb } : {}) };
  });
}

describe("the shell blocks of README.md and docs/", () => {
  it("every block says how it is kept true", () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
    expect(BLOCKS.filter((b) => b.marker === undefined || !/^(offline|ci|live: .+)$/.test(b.marker)).map(where)).toEqual([]);
  });

  it.each(BLOCKS.filter((b) => b.marker?.startsWith("live: ")).map((b) => [where(b), b] as const))("%s (live): the tests it names exist, and its commands are the commands' own", (_w, b) => {
    const named = b.marker!.slice("live: ".length);
    if (!named.startsWith("none (")) for (const file of named.split(/\s+/)) expect(`${file}: ${existsSync(join(ROOT, file))}`).toBe(`${file}: true`);
    for (const run of npmRuns(b.text)) {
      const spec = COMMANDS.find((c) => c.script === run.script);
      expect(`${run.script}: ${spec !== undefined}`).toBe(`${run.script}: true`);
      const known = [...Object.keys(spec!.options), "help"];
      expect(run.flags.filter((f) => !known.includes(f))).toEqual([]);
      if (spec!.verbs !== undefined) expect(Object.keys(spec!.verbs)).toContain(run.verb);
    }
  });

  describe("offline blocks, run as written in a clone of the repository", () => {
    const clone = mkdtempSync(join(tmpdir(), "docs-"));
    beforeAll(() => {
      execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, join(clone, "repo")]);
      symlinkSync(join(ROOT, "node_modules"), join(clone, "repo", "node_modules"));
    });
    afterAll(() => rmSync(clone, { recursive: true, force: true }));

    it.each(BLOCKS.filter((b) => b.marker === "offline").map((b) => [where(b), b] as const))("%s", (_w, b) => {
      const script = `npm() { if [ "$1" = ci ]; then return 0; fi; command npm "$@"; }\nset -e\n${b.text}\n`;
      const run = spawnSync("bash", ["-c", script], { cwd: join(clone, "repo"), encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });
      expect({ status: run.status, stderr: run.status === 0 ? "" : run.stderr }).toEqual({ status: 0, stderr: "" });
    }, 120_000);
  });
});

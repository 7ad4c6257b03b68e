import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { COMMANDS } from "../../scripts/cli/commands";
import { ROOT } from "./stackCopy";

// Runbooks that cannot rot: every shell block in README.md and docs/ says how it is kept true,
// on the line before it.
//   <!-- offline -->            run here, as written, in a clone of this repository; it must exit 0
//   <!-- offline: exits N -->   the same, and it must exit N (a step that shows a refusal)
//   <!-- offline: apply -->     before a ```diff block: the edit the runbook asks for, applied with git apply
//   <!-- output -->             before a ```text block right after an offline block: every line of it
//                               is printed by that block (stdout or stderr)
//   <!-- live: <test files> --> needs a live stack or the Pulumi CLI; those tests run the same
//                               steps on booted droplets or the program. Its npm commands are
//                               checked against the commands' own specs.
//   <!-- ci -->                 the test commands themselves: .ci/run runs them
// A page's offline blocks run in order, in one clone of its own, so a runbook's steps build on
// one another as they do for a reader. What the test world substitutes, and only that:
//   - `npm ci` is the clone's node_modules, already installed;
//   - `pulumi` is tests/standIns/pulumi, which does `pulumi config set|get|rm` and nothing else.

interface Block {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly marker: string | undefined;
  readonly text: string;
  /** For a shell block: the `<!-- output -->` text block that follows it. */
  readonly output?: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : []);
}

const SHELL = /^(sh|bash|shell)$/;

function fencedBlocks(path: string): Block[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    const marker = /^<!-- (.+) -->$/.exec(lines[start - 1] ?? "")?.[1];
    const block: Block = { file: relative(ROOT, path), line: start + 1, lang: fence[1]!, marker, text: body.join("\n") };
    const previous = blocks[blocks.length - 1];
    if (block.lang === "text" && marker === "output" && previous !== undefined && SHELL.test(previous.lang)) {
      blocks[blocks.length - 1] = { ...previous, output: block.text };
    } else {
      blocks.push(block);
    }
  }
  return blocks;
}

const FILES = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];
const ALL = FILES.flatMap(fencedBlocks);
const BLOCKS = ALL.filter((b) => SHELL.test(b.lang));
const where = (b: Block) => `${b.file}:${b.line}`;
const isOffline = (b: Block) => b.marker === "offline" || b.marker?.startsWith("offline:") === true;

/** `npm run <script> -- <args>` in a block: the script, the flags and the first word after `--`. */
function npmRuns(text: string): Array<{ script: string; flags: string[]; verb?: string }> {
  return [...text.matchAll(/npm run ([\w:-]+)(?: -- ([^#&|;\n]*))?/g)].map((m) => {
    const words = (m[2] ?? "").trim().split(/\s+/).filter((w) => w !== "");
    const verb = words[0] !== undefined && !words[0].startsWith("-") ? words[0] : undefined;
    return { script: m[1]!, flags: words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=")[0]!), ...(verb !== undefined ? { verb } : {}) };
  });
}

describe("the shell blocks of README.md and docs/", () => {
  it("every block says how it is kept true", () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
    const known = /^(offline|offline: exits \d+|ci|live: .+)$/;
    expect(BLOCKS.filter((b) => b.marker === undefined || !known.test(b.marker)).map(where)).toEqual([]);
    // an edit a runbook asks for is applied by the test, or it is a plain illustration
    expect(ALL.filter((b) => b.marker === "offline: apply" && b.lang !== "diff").map(where)).toEqual([]);
    expect(ALL.filter((b) => b.marker === "output").map(where)).toEqual([]);
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

  it("every relative link in README.md and docs/ names a file of the repository", () => {
    const broken = FILES.flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!.split("#")[0]!)
      .filter((target) => target !== "" && !/^[a-z]+:/.test(target) && !existsSync(join(dirname(f), target)))
      .map((target) => `${relative(ROOT, f)} -> ${target}`));
    expect(broken).toEqual([]);
  });

  // shithubd's own docs (its repository's docs/internal/...) are cited as "shithubd's own docs/..."
  it("every docs/ page the program, its scripts, templates, tests and workflows name exists", () => {
    const sources = execFileSync("git", ["ls-files", "components", "scripts", "templates", "tests", "offline", "policy", ".github", "Pulumi.*.yaml", "index.ts"], { cwd: ROOT, encoding: "utf8" })
      .split("\n").filter((f) => f !== "" && existsSync(join(ROOT, f)) && !f.endsWith(".pyc"));
    const named = sources.flatMap((f) => [...readFileSync(join(ROOT, f), "utf8").matchAll(/(?<!shithubd.s own )\bdocs\/[\w/-]+\.md\b/g)].map((m) => ({ f, page: m[0] })));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter(({ page }) => !existsSync(join(ROOT, page))).map(({ f, page }) => `${f}: ${page}`)).toEqual([]);
  });

  const pages = FILES.map((f) => relative(ROOT, f)).filter((f) => ALL.some((b) => b.file === f && isOffline(b)));
  describe.each(pages)("%s: its offline steps, in order, in a clone of the repository", (page) => {
    // Made when the page's steps run, not when they are listed: a filtered run leaves no clone behind.
    let clone = "";
    let repo = "";
    beforeAll(() => {
      clone = mkdtempSync(join(tmpdir(), "docs-"));
      repo = join(clone, "repo");
      execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, repo]);
      symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"));
    });
    afterAll(() => {
      if (clone !== "") rmSync(clone, { recursive: true, force: true });
    });

    const steps = ALL.filter((b) => b.file === page && (isOffline(b) || b.marker === "offline: apply"));
    it.each(steps.map((b) => [where(b), b] as const))("%s", (_w, b) => {
      if (b.lang === "diff") {
        const apply = spawnSync("git", ["apply", "--whitespace=nowarn", "-"], { cwd: repo, input: `${b.text}\n`, encoding: "utf8" });
        expect({ status: apply.status, stderr: apply.stderr }).toEqual({ status: 0, stderr: "" });
        return;
      }
      const expected = Number(/^offline: exits (\d+)$/.exec(b.marker!)?.[1] ?? "0");
      const script = `npm() { if [ "$1" = ci ]; then return 0; fi; command npm "$@"; }\nset -e\n${b.text}\n`;
      const run = spawnSync("bash", ["-c", script], {
        cwd: repo, encoding: "utf8",
        env: { ...process.env, npm_config_loglevel: "error", PATH: `${join(repo, "tests", "standIns")}:${process.env.PATH ?? ""}` },
      });
      expect({ status: run.status, stderr: run.status === expected ? "" : run.stderr }).toEqual({ status: expected, stderr: "" });
      const printed = `${run.stdout}\n${run.stderr}`;
      const missing = (b.output ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !printed.includes(l));
      expect({ missing, printed: missing.length === 0 ? "" : printed }).toEqual({ missing: [], printed: "" });
    }, 120_000);
  });
});

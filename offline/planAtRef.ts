import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlanSnapshot } from "./planDiff";

const ROOT = join(__dirname, "..");

/** A failure of the diff's own machinery: a ref git does not know, a side that does not plan. */
export class PlanDiffError extends Error {}

/** The offline plan of `stack` by the tree at `root` (its program, its stack file), in a process of its own. */
export function snapshotOf(root: string, stack: string, label: string): PlanSnapshot {
  const run = spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, "scripts", "planSnapshot.ts"), "--root", root, "--stack", stack],
    { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (run.status !== 0) throw new PlanDiffError(`the plan of stack '${stack}' at ${label} failed:\n${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as PlanSnapshot;
}

/**
 * The project as committed at `ref`, in a temporary directory (git archive: the repository and
 * the working tree are left as they are), using this tree's installed packages.
 */
export function withTreeAt<T>(dir: string, ref: string, use: (root: string) => T): T {
  let commit: string;
  try {
    commit = execFileSync("git", ["-C", dir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { encoding: "utf8" }).trim();
  } catch {
    throw new PlanDiffError(`'${ref}' is not a commit of the repository at ${dir}`);
  }
  const prefix = execFileSync("git", ["-C", dir, "rev-parse", "--show-prefix"], { encoding: "utf8" }).trim();
  const tree = mkdtempSync(join(tmpdir(), "shithub-plan-ref-"));
  try {
    execFileSync("bash", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "archive", dir, commit, tree]);
    const root = join(tree, prefix);
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
    return use(root);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

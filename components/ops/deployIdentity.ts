import { spawnSync } from "node:child_process";

/** Who runs a deploy and from which commit: what each release step's audit line records. */
export interface DeployIdentity {
  readonly who: string;
  readonly commit: string;
}

/** What an offline plan records: nobody deploys it (and two commits' plans differ in nothing for it). */
export const OFFLINE_DEPLOYER: DeployIdentity = { who: "(offline plan)", commit: "(offline plan)" };

/** One line of printable text, tabs included as spaces: a field of the tab-separated audit log. */
export function auditField(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, 200) || "(unknown)";
}

/**
 * The deployer as `pulumi up` runs: in GitHub Actions, the actor and the run (GITHUB_ACTOR,
 * GITHUB_RUN_ID) and the commit it checked out (GITHUB_SHA); on an operator's machine, their git
 * identity (user.name <user.email>) and HEAD, `-dirty` when the work tree differs from it.
 * SHITHUB_DEPLOYER and SHITHUB_DEPLOY_COMMIT override either (another CI).
 */
export function deployIdentity(env: Readonly<Record<string, string | undefined>>, git: (args: readonly string[]) => string | undefined): DeployIdentity {
  const ci = env.GITHUB_ACTIONS === "true" && env.GITHUB_ACTOR !== undefined;
  const gitWho = (): string | undefined => {
    const name = git(["config", "user.name"]);
    const email = git(["config", "user.email"]);
    return name === undefined && email === undefined ? undefined : `${name ?? ""}${email !== undefined ? ` <${email}>` : ""}`.trim();
  };
  const gitCommit = (): string | undefined => {
    const head = git(["rev-parse", "HEAD"]);
    if (head === undefined) return undefined;
    return git(["status", "--porcelain", "--untracked-files=no"]) ? `${head}-dirty` : head;
  };
  const who = env.SHITHUB_DEPLOYER ?? (ci ? `${env.GITHUB_ACTOR} (GitHub Actions run ${env.GITHUB_RUN_ID ?? "?"})` : gitWho()) ?? env.USER ?? "(unknown)";
  const commit = env.SHITHUB_DEPLOY_COMMIT ?? (ci ? env.GITHUB_SHA : undefined) ?? gitCommit() ?? "(not a git checkout)";
  return { who: auditField(who), commit: auditField(commit) };
}

/** git in the working directory: its trimmed output, or undefined when it fails or prints nothing. */
export function runGit(args: readonly string[]): string | undefined {
  const r = spawnSync("git", [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
  const out = r.status === 0 ? r.stdout.trim() : "";
  return out === "" ? undefined : out;
}

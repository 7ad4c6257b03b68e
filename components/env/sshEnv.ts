import { lookup } from "../config/catalogue";

/** Where git over SSH reads its settings (templates/git-ssh): the one env file the git user may read. */
export const SSH_ENV_PATH = "/etc/shithub/ssh.env";

/** The one secret `shithubd ssh-authkeys` and `ssh-shell` need: they look keys and repositories up in the database. */
const SSH_SECRETS = new Set(["SHITHUB_DATABASE_URL"]);

/** Whether a web.env variable goes to ssh.env too. */
export function sshNeeds(name: string): boolean {
  return !(lookup(name)?.secret ?? true) || SSH_SECRETS.has(name);
}

const ASSIGNMENT = /^(SHITHUB_[A-Z0-9_]+)=/;

/**
 * ssh.env from web.env's text: every setting web has (so a variable a release requires reaches
 * git over SSH too), but of the secrets only the database URL. The session, TOTP, webhook and
 * mail keys stay in web.env, which only systemd reads.
 */
export function sshEnvOf(webEnv: string): string {
  const kept = webEnv.split("\n").flatMap((line) => {
    const name = ASSIGNMENT.exec(line)?.[1];
    return name !== undefined && sshNeeds(name) ? [line] : [];
  });
  return [
    "# Rendered by shithub-infra (components/env/sshEnv.ts) from web.env without its secrets but the",
    "# database URL: git over SSH (shithub-ssh-authkeys, git-shell-commands/shithubd) reads it.",
    ...kept,
    "",
  ].join("\n");
}

/** Where git over SSH reads its settings (templates/git-ssh): the one env file the git user may read. */
export const SSH_ENV_PATH = "/etc/shithub/ssh.env";

/**
 * web.env's secrets git over SSH never needs and shithubd's loader accepts the absence of: the
 * session and TOTP keys (forged sessions, 2FA seeds), the webhook and Actions encryption keys,
 * and object storage as a whole (its settings are all or nothing). The rest stays: the
 * database URL is how ssh-authkeys and ssh-shell work, and the loader refuses a mail backend or
 * billing without its credentials.
 */
const WITHHELD = [/^SHITHUB_SESSION_KEY$/, /^SHITHUB_TOTP_KEY$/, /^SHITHUB_WEBHOOK__AEAD_KEY$/, /^SHITHUB_ACTIONS__SECRETS__/, /^SHITHUB_STORAGE__S3__/];

/** Whether a web.env variable goes to ssh.env too. */
export function sshNeeds(name: string): boolean {
  return !WITHHELD.some((re) => re.test(name));
}

const ASSIGNMENT = /^(SHITHUB_[A-Z0-9_]+)=/;

/** ssh.env from web.env's text: every setting web has (a variable a release requires reaches git over SSH too), less the withheld secrets. */
export function sshEnvOf(webEnv: string): string {
  const kept = webEnv.split("\n").flatMap((line) => {
    const name = ASSIGNMENT.exec(line)?.[1];
    return name !== undefined && sshNeeds(name) ? [line] : [];
  });
  return [
    "# Rendered by shithub-infra (components/env/sshEnv.ts) from web.env, less the secrets git over",
    "# SSH never needs: git over SSH (shithub-ssh-authkeys, git-shell-commands/shithubd) reads it.",
    ...kept,
    "",
  ].join("\n");
}

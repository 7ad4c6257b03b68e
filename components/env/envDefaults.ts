/**
 * Values the env files get when the stack does not set them: the settings of the existing
 * Ansible deployment this project replaces, with the two it got wrong set right (session.secure, env).
 * Declared in Pulumi.yaml as defaults too, so `pulumi config` shows them.
 */
export const ENV_DEFAULTS: Readonly<Record<string, string>> = {
  SHITHUB_WEB__ADDR: "127.0.0.1:8080",
  SHITHUB_WEB__PPROF_ADDR: "127.0.0.1:6060",
  // The edge (Caddy) proxies from loopback on the same host: its X-Forwarded-For names the client.
  SHITHUB_WEB__TRUSTED_PROXIES: "127.0.0.0/8,::1/128",
  SHITHUB_AUTH__SITE_NAME: "shithub",
  SHITHUB_STORAGE__REPOS_ROOT: "/data/repos",
  SHITHUB_SESSION__SECURE: "true",
  SHITHUB_RATELIMIT__HTML__ANON_BURST: "60",
  SHITHUB_RATELIMIT__HTML__ANON_REFILL_PER_SEC: "1",
  SHITHUB_RATELIMIT__HTML__AUTHED_BURST: "600",
  SHITHUB_RATELIMIT__HTML__AUTHED_REFILL_PER_SEC: "10",
  SHITHUB_BILLING__ENABLED: "false",
  SHITHUB_WORKERS: "4",
  // Spaces speaks SigV4 as us-east-1, over TLS, with virtual-hosted bucket names.
  SHITHUB_STORAGE__S3__REGION: "us-east-1",
  SHITHUB_STORAGE__S3__USE_SSL: "true",
  SHITHUB_STORAGE__S3__FORCE_PATH_STYLE: "false",
};

/** The config key each derived variable comes from, for the message when one is set by hand. */
export const DERIVED_FROM: Readonly<Record<string, string>> = {
  SHITHUB_ENV: "the stack name",
  SHITHUB_AUTH__BASE_URL: "shithubd:domain",
  SHITHUB_AUTH__SSH__HOST: "shithubd:domain",
  SHITHUB_AUTH__SSH__ENABLED: "shithubd:gitSsh (git over SSH is deployed, or not, by the program)",
  SHITHUB_DATABASE_URL: "the topology (the db host's address) and the database password the program generates",
  SHITHUB_DB__URL: "the topology: the program writes SHITHUB_DATABASE_URL, which `shithubd migrate up` reads too",
};

/** Whether a stack is production when its config does not say (`shithubd:production`): by its name. */
export function productionByName(stack: string): boolean {
  return stack === "production" || stack === "prod";
}

/** shithubd's `env` for a stack: production runs as prod; staging as staging; anything else is dev. */
export function shithubEnvOf(stack: string, production: boolean): "prod" | "staging" | "dev" {
  if (production) return "prod";
  return stack === "staging" ? "staging" : "dev";
}

export function derivedEnv(stack: string, domain: string, gitSsh: boolean, production: boolean): Record<string, string> {
  return {
    SHITHUB_ENV: shithubEnvOf(stack, production),
    SHITHUB_AUTH__BASE_URL: `https://${domain}`,
    SHITHUB_AUTH__SSH__ENABLED: String(gitSsh),
    SHITHUB_AUTH__SSH__HOST: `git@${domain}`,
  };
}

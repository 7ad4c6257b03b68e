/**
 * shithubd's configuration key catalogue (shithubd's own docs/internal/config.md and
 * config.go): the only SHITHUB_* names the daemon reads. Anything else is silently
 * ignored by shithubd, so this table is what turns a typo into an error.
 */

export type ValueType =
  | { readonly kind: "string" }
  | { readonly kind: "bool" }
  | { readonly kind: "int"; readonly min: number; readonly max?: number }
  | { readonly kind: "float"; readonly min: number; readonly max?: number }
  | { readonly kind: "duration" }
  | { readonly kind: "url"; readonly schemes: readonly string[] }
  | { readonly kind: "hostPort" }
  /** A sender as a From header writes it: `shithub <noreply@example.org>` or a bare address. */
  | { readonly kind: "mailbox" }
  | { readonly kind: "loopbackHostPort" }
  | { readonly kind: "base64Key32" }
  | { readonly kind: "base64" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "absPath" }
  /** A slice: shithubd's loader splits the variable at commas, trims each item and drops empty ones; empty is an empty list. */
  | { readonly kind: "list"; readonly item: "cidr" | "origin" }
  /** A field shithubd's loader cannot set from the environment (slices, unsigned ints): it refuses to start. */
  | { readonly kind: "tomlOnly"; readonly why: string };

/** Which env files receive a key that the templates do not name explicitly. */
export type Scope = "web" | "worker" | "both";

export interface CatalogueEntry {
  /** The environment variable, e.g. `SHITHUB_AUTH__EMAIL_BACKEND`. */
  readonly name: string;
  readonly type: ValueType;
  /** shithubd redacts it (`config print`), so the stack must hold it as a Pulumi secret. */
  readonly secret: boolean;
  readonly scope: Scope;
  /** The first shithubd release that reads it (`1.9.0`); unset: every release this project deploys. */
  readonly since?: string;
}

const str = { kind: "string" } as const;
const bool = { kind: "bool" } as const;
const duration = { kind: "duration" } as const;
const key32 = { kind: "base64Key32" } as const;
const b64 = { kind: "base64" } as const;
const nonNegInt = { kind: "int", min: 0 } as const;
const httpUrl = { kind: "url", schemes: ["http", "https"] } as const;
const enumOf = (...values: string[]): ValueType => ({ kind: "enum", values });
// config.go's mergeEnv reads a slice as a comma-separated list (config_test.go, TestMergeEnv_TrustedProxiesCommaSeparated).
const listOf = (item: "cidr" | "origin"): ValueType => ({ kind: "list", item });
// setField has no case for unsigned ints: such a variable stops every shithubd process.
const unsigned = { kind: "tomlOnly", why: "is an unsigned integer, a field kind shithubd's loader cannot read from the environment (`unsupported field kind`)" } as const;

const BILLING_ENFORCE_FLAGS = [
  "user_advanced_branch_protection", "user_required_reviewers", "user_profile_pins_beyond_free",
  "user_profile_vanity", "user_username_reservations", "user_private_repo_templates",
  "user_saved_replies_unlimited", "user_scheduled_issues", "user_advanced_code_search",
  "user_contribution_privacy", "user_secret_scan_history", "user_secret_scan_alerts",
  "user_fine_grained_pats", "user_actions_secrets", "user_actions_variables", "animated_avatars",
  "user_webhook_relay", "user_cron_workflow_dispatch", "user_personal_status_page",
  "user_repo_time_machine", "user_inbox_rules", "user_inbox_digests",
];

/** TOML paths and their types, as shithubd's config.go declares them. */
const TOML_KEYS: ReadonlyArray<readonly [string, ValueType]> = [
  ["env", enumOf("dev", "staging", "prod")],
  ["web.addr", { kind: "hostPort" }],
  ["web.read_timeout", duration],
  ["web.write_timeout", duration],
  ["web.shutdown_timeout", duration],
  ["web.cors_allowed_origins", listOf("origin")],
  // Whose X-Forwarded-For shithubd believes: the client's address keys its rate limits.
  ["web.trusted_proxies", listOf("cidr")],
  ["web.pprof_addr", { kind: "loopbackHostPort" }],
  ["db.url", { kind: "url", schemes: ["postgres", "postgresql"] }],
  ["db.max_conns", { kind: "int", min: 1 }],
  ["db.min_conns", nonNegInt],
  ["db.connect_timeout", duration],
  ["log.level", enumOf("debug", "info", "warn", "error")],
  ["log.format", enumOf("text", "json")],
  ["metrics.enabled", bool],
  ["metrics.basic_auth_user", str],
  ["metrics.basic_auth_pass", str],
  ["tracing.enabled", bool],
  ["tracing.endpoint", str],
  ["tracing.sample_rate", { kind: "float", min: 0, max: 1 }],
  ["tracing.service_name", str],
  ["error_reporting.dsn", str],
  ["error_reporting.environment", str],
  ["error_reporting.release", str],
  ["session.key_b64", key32],
  ["session.max_age", duration],
  ["session.secure", bool],
  ["storage.repos_root", { kind: "absPath" }],
  ["storage.s3.endpoint", str],
  ["storage.s3.region", str],
  ["storage.s3.access_key_id", str],
  ["storage.s3.secret_access_key", str],
  ["storage.s3.bucket", str],
  ["storage.s3.use_ssl", bool],
  ["storage.s3.force_path_style", bool],
  ["auth.require_email_verification", bool],
  ["auth.base_url", httpUrl],
  ["auth.site_name", str],
  ["auth.email_from", { kind: "mailbox" }],
  ["auth.email_backend", enumOf("stdout", "smtp", "postmark", "resend")],
  ["auth.smtp.addr", { kind: "hostPort" }],
  ["auth.smtp.username", str],
  ["auth.smtp.password", str],
  ["auth.postmark.server_token", str],
  ["auth.resend.api_key", str],
  ["auth.argon2.memory_kib", unsigned],
  ["auth.argon2.time", unsigned],
  ["auth.argon2.threads", unsigned],
  ["auth.totp_key_b64", key32],
  ["auth.ssh.enabled", bool],
  ["auth.ssh.host", str],
  ["notif.unsubscribe_key_b64", b64],
  ["ratelimit.api.authed_per_hour", nonNegInt],
  ["ratelimit.api.anon_per_hour", nonNegInt],
  ["ratelimit.html.anon_burst", nonNegInt],
  ["ratelimit.html.anon_refill_per_sec", nonNegInt],
  ["ratelimit.html.authed_burst", nonNegInt],
  ["ratelimit.html.authed_refill_per_sec", nonNegInt],
  ["billing.enabled", bool],
  ["billing.grace_period", duration],
  ["billing.stripe.secret_key", str],
  ["billing.stripe.webhook_secret", str],
  ["billing.stripe.team_price_id", str],
  ["billing.stripe.pro_price_id", str],
  ["billing.stripe.success_url", httpUrl],
  ["billing.stripe.cancel_url", httpUrl],
  ["billing.stripe.portal_return_url", httpUrl],
  ["billing.stripe.automatic_tax", bool],
  ...BILLING_ENFORCE_FLAGS.map((flag) => [`billing.enforce.${flag}`, bool] as const),
  ["actions.secrets.box_private_key_b64", b64],
  ["webhook.aead_key", b64],
];

/** Names shithubd reads besides the TOML paths: aliases and env-only knobs. */
const EXTRA_NAMES: ReadonlyArray<readonly [string, ValueType]> = [
  ["SHITHUB_DATABASE_URL", { kind: "url", schemes: ["postgres", "postgresql"] }],
  ["SHITHUB_SESSION_KEY", key32],
  ["SHITHUB_TOTP_KEY", key32],
  ["SHITHUB_WORKERS", { kind: "int", min: 1, max: 64 }],
  ["SHITHUB_CONFIG", { kind: "absPath" }],
];

const SECRET_NAME_PARTS = ["password", "pass", "secret", "key", "token", "dsn", "url"];

/**
 * shithubd's redaction rule (internal/infra/config/redact.go): a field whose name contains
 * one of these words is secret. For an alias the whole name counts (`SHITHUB_SESSION_KEY`).
 */
export function isSecretName(envName: string): boolean {
  const field = envName.replace(/^SHITHUB_/, "").split("__").pop() ?? "";
  const lower = field.toLowerCase();
  return SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

/** `web.pprof_addr` -> `SHITHUB_WEB__PPROF_ADDR` */
export function envNameOf(tomlPath: string): string {
  return `SHITHUB_${tomlPath.toUpperCase().replace(/\./g, "__")}`;
}

// Web-only areas stay out of worker.env when they arrive as extra keys.
const WEB_ONLY = /^SHITHUB_(WEB|SESSION|RATELIMIT)__|^SHITHUB_SESSION_KEY$/;

const WORKER_ONLY = /^SHITHUB_WORKERS$/;

function scopeOf(name: string): Scope {
  if (WEB_ONLY.test(name)) return "web";
  return WORKER_ONLY.test(name) ? "worker" : "both";
}

/**
 * Keys a later shithubd release reads first, and that release: a stack pinned before it cannot
 * set the key (shithubd would ignore it), and a template may require it only inside that
 * release's `{{#since_vX_Y_Z}}` section. A key added to the catalogue for a new release goes here.
 */
export const SINCE: Readonly<Record<string, string>> = {};

function entry(name: string, type: ValueType): CatalogueEntry {
  const since = SINCE[name];
  return { name, type, secret: isSecretName(name), scope: scopeOf(name), ...(since !== undefined ? { since } : {}) };
}

export const CATALOGUE: ReadonlyMap<string, CatalogueEntry> = new Map(
  [
    ...TOML_KEYS.map(([path, type]) => entry(envNameOf(path), type)),
    ...EXTRA_NAMES.map(([name, type]) => entry(name, type)),
  ].map((e) => [e.name, e]),
);

export function lookup(name: string): CatalogueEntry | undefined {
  return CATALOGUE.get(name);
}

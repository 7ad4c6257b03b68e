import { Sensitive } from "../config/sensitive";

/** One SHITHUB_* value and where it came from. */
export interface EnvValue {
  /** Secret values stay wrapped until they are written into an env file. */
  readonly value: string | Sensitive;
  /** `stack`: set with `pulumi config set`; `default`: ENV_DEFAULTS; `derived`: from other keys. */
  readonly origin: "stack" | "default" | "derived";
  /** A `secure:` value the offline plan cannot decrypt: present, secret, contents unknown. */
  readonly placeholder: boolean;
  /** Known only once a resource exists (the runtime bucket's scoped key, the database password): filled in by resolveDeferred. */
  readonly deferred?: DeferredKey;
}

export type DeferredKey = "s3AccessKey" | "s3SecretKey" | "databaseUrl";

/** SHITHUB_DATABASE_URL: per host (loopback where Postgres is local), with the generated password. */
export const DATABASE_URL_VALUE: EnvValue = { value: new Sensitive("<the database URL of each app host>"), origin: "derived", placeholder: false, deferred: "databaseUrl" };

export type EnvValues = ReadonlyMap<string, EnvValue>;

export function isSecretValue(v: EnvValue): boolean {
  return typeof v.value !== "string";
}

export function textOf(v: EnvValue): string {
  return typeof v.value === "string" ? v.value : v.value.reveal();
}

/** The values with their deferred entries filled in, as secrets. */
export function resolveDeferred(values: EnvValues, known: Readonly<Record<DeferredKey, string>>): EnvValues {
  return new Map([...values].map(([name, v]) => [name, v.deferred === undefined ? v : { ...v, value: new Sensitive(known[v.deferred]), placeholder: false }]));
}

import type { Sensitive } from "./sensitive";

/** One SHITHUB_* value and where it came from. */
export interface EnvValue {
  /** Secret values stay wrapped until they are written into an env file. */
  readonly value: string | Sensitive;
  /** `stack`: set with `pulumi config set`; `default`: ENV_DEFAULTS; `derived`: from other keys. */
  readonly origin: "stack" | "default" | "derived";
  /** A `secure:` value the offline plan cannot decrypt: present, secret, contents unknown. */
  readonly placeholder: boolean;
}

export type EnvValues = ReadonlyMap<string, EnvValue>;

export function isSecretValue(v: EnvValue): boolean {
  return typeof v.value !== "string";
}

export function textOf(v: EnvValue): string {
  return typeof v.value === "string" ? v.value : v.value.reveal();
}

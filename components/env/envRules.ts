import { CATALOGUE, lookup as lookupInCatalogue } from "../config/catalogue";
import type { CatalogueEntry, ValueType } from "../config/catalogue";
import { DERIVED_FROM } from "./envDefaults";
import { UNWRITABLE, gateOpen } from "./envFile";
import type { EnvValue, EnvValues } from "./envValues";
import { isSecretValue, textOf } from "./envValues";
import { qualified } from "../config/projectKeys";
import type { Problem } from "../config/problems";
import { configSetCommand, reencryptCommand, renameCommand } from "../config/problems";
import { didYouMean } from "../config/suggest";
import type { EnvFileName, EnvTemplate } from "./envTemplate";
import { checkValue, isTrue } from "../config/values";

export interface EnvCheckInput {
  readonly stack: string;
  /** The stack's `shithubd:version`, or undefined when it is missing or invalid (gates are then skipped). */
  readonly version: string | undefined;
  readonly values: EnvValues;
  readonly templates: Readonly<Record<EnvFileName, EnvTemplate>>;
  /** shithubd's key catalogue (components/config/catalogue.ts); a test may give another. */
  readonly catalogue?: (name: string) => CatalogueEntry | undefined;
}

/** A value that passes shithubd's check for `type`, to show in a fix command. */
export function exampleValue(type: ValueType): string {
  switch (type.kind) {
    case "base64Key32":
    case "base64":
      return `"$(openssl rand -base64 32)"`;
    case "url":
      return type.schemes.includes("postgres")
        ? `'postgresql://shithub:PASSWORD@127.0.0.1:5432/shithub?sslmode=disable'`
        : "https://shithub.example.org";
    case "bool":
      return "true";
    case "int":
    case "float":
      return String(type.min);
    case "duration":
      return "30s";
    case "enum":
      return type.values[0] ?? "'<value>'";
    case "hostPort":
      return "127.0.0.1:8080";
    case "loopbackHostPort":
      return "127.0.0.1:6060";
    case "absPath":
      return "/data/repos";
    case "mailbox":
      return "'shithub <noreply@example.org>'";
    default:
      return "'<value>'";
  }
}

/** What a condition may ask: a value's text (undefined when unset or an offline placeholder), or whether it is set. */
interface EnvView {
  readonly text: (name: string) => string | undefined;
  readonly isSet: (name: string) => boolean;
}

/** Conditional requirements of shithubd's config (what its validation refuses): when `holds`, `requires` must be set, `because`. */
interface Condition {
  readonly holds: (env: EnvView) => boolean;
  readonly because: string;
  readonly requires: readonly string[];
}

/** shithubd's object storage settings: all or nothing. */
export const S3_KEYS = [
  "SHITHUB_STORAGE__S3__ENDPOINT",
  "SHITHUB_STORAGE__S3__BUCKET",
  "SHITHUB_STORAGE__S3__ACCESS_KEY_ID",
  "SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY",
];

const CONDITIONS: readonly Condition[] = [
  ...[
    ["postmark", "SHITHUB_AUTH__POSTMARK__SERVER_TOKEN"],
    ["resend", "SHITHUB_AUTH__RESEND__API_KEY"],
    ["smtp", "SHITHUB_AUTH__SMTP__ADDR"],
  ].map(([backend, key]) => ({
    holds: (env: EnvView) => env.text("SHITHUB_AUTH__EMAIL_BACKEND") === backend,
    because: `SHITHUB_AUTH__EMAIL_BACKEND is ${backend}`,
    requires: [key as string],
  })),
  {
    holds: (env) => isTrue(env.text("SHITHUB_BILLING__ENABLED") ?? ""),
    because: "SHITHUB_BILLING__ENABLED is true",
    requires: [
      "SHITHUB_BILLING__STRIPE__SECRET_KEY",
      "SHITHUB_BILLING__STRIPE__WEBHOOK_SECRET",
      "SHITHUB_BILLING__STRIPE__TEAM_PRICE_ID",
    ],
  },
  {
    holds: (env) => isTrue(env.text("SHITHUB_TRACING__ENABLED") ?? ""),
    because: "SHITHUB_TRACING__ENABLED is true",
    requires: ["SHITHUB_TRACING__ENDPOINT"],
  },
  {
    holds: (env) => S3_KEYS.some((k) => env.isSet(k)),
    because: "object storage is all or nothing: one SHITHUB_STORAGE__S3__ endpoint/bucket/key is set",
    requires: S3_KEYS,
  },
];

/** Settings that are legal for shithubd but wrong for a production stack. */
const PRODUCTION_RULES: ReadonlyArray<readonly [string, (v: string) => boolean, string, string]> = [
  ["SHITHUB_AUTH__EMAIL_BACKEND", (v) => v === "stdout", "is stdout: production mail would be written to the journal, not sent", "postmark"],
  ["SHITHUB_SESSION__SECURE", (v) => !isTrue(v), "is false: production session cookies must be Secure", "true"],
];

/**
 * Everything wrong with the stack's SHITHUB_* values, all at once: names against the catalogue,
 * secrecy, types, writability, the templates' required variables (with release gates) and the
 * conditional requirements.
 */
export function checkEnv(input: EnvCheckInput): Problem[] {
  const { stack, values } = input;
  const lookup = input.catalogue ?? lookupInCatalogue;
  const problems: Problem[] = [];
  const add = (name: string, message: string, fix: string): void => {
    problems.push({ stack, key: qualified(name), message, fix });
  };
  const setCommand = (entry: CatalogueEntry, value = exampleValue(entry.type)): string =>
    configSetCommand(stack, qualified(entry.name), value, entry.secret);

  for (const [name, v] of values) {
    if (v.origin !== "stack") continue;
    const derived = DERIVED_FROM[name];
    if (derived !== undefined) {
      add(name, `is derived from ${derived} and cannot be set`, `pulumi config rm ${qualified(name)} -s ${stack}`);
      continue;
    }
    const entry = lookup(name);
    if (entry === undefined) {
      problems.push(unknownName(stack, name, v));
      continue;
    }
    if (entry.since !== undefined && input.version !== undefined && !gateOpen(input.version, entry.since)) {
      add(name, `is read by shithubd from v${entry.since} on; this stack pins ${input.version}, which would silently ignore it`,
        `pulumi config rm ${qualified(name)} -s ${stack}   # or pin shithubd:version v${entry.since} or later`);
      continue;
    }
    checkStackValue(stack, entry, v, add, setCommand);
  }

  // The templates against the catalogue: every name they write is one shithubd reads, from the
  // release they write it for. A template edit that misses the catalogue is reported, not thrown.
  const notInCatalogue = new Set<string>();
  for (const template of Object.values(input.templates)) {
    for (const { name, since } of [...template.required, ...template.optional.map((o) => ({ name: o.name, since: undefined }))]) {
      const entry = lookup(name);
      if (entry === undefined) {
        if (!notInCatalogue.has(name)) {
          notInCatalogue.add(name);
          problems.push({ stack, key: qualified(name), message: `is written by ${template.path}, but shithubd's key catalogue does not have it`,
            fix: `add it to components/config/catalogue.ts: its TOML path and type in TOML_KEYS, and in SINCE the first shithubd release that reads it (docs/runbooks/add-an-env-var.md)` });
        }
        continue;
      }
      if (entry.since !== undefined && (since === undefined || !gateOpen(`v${since}`, entry.since))) {
        const gate = `since_v${entry.since.replace(/\./g, "_")}`;
        problems.push({ stack, key: qualified(name), message: `is required by ${template.path}${since === undefined ? " on every release" : ` from v${since}`}, but shithubd reads it only from v${entry.since}`,
          fix: `in ${template.path}, put its line inside {{#${gate}}}...{{/${gate}}}` });
      }
    }
  }

  // Which names are required, and why; each missing name is reported once.
  const missing = new Map<string, string>();
  for (const template of Object.values(input.templates)) {
    for (const req of template.required) {
      if (req.since !== undefined && (input.version === undefined || !gateOpen(input.version, req.since))) continue;
      const why = req.since === undefined
        ? `is required by ${template.path}`
        : `is required from shithubd v${req.since} on (this stack pins ${input.version})`;
      if (!values.has(req.name) && !missing.has(req.name)) missing.set(req.name, why);
    }
    for (const opt of template.optional) {
      if (values.has(opt.when) && !values.has(opt.name) && !missing.has(opt.name)) {
        missing.set(opt.name, `is required because ${opt.when} is set (${template.path})`);
      }
    }
  }
  const known = (name: string): string | undefined => {
    const v = values.get(name);
    return v === undefined || v.placeholder ? undefined : textOf(v);
  };
  const view: EnvView = { text: known, isSet: (name) => values.has(name) };
  for (const cond of CONDITIONS) {
    if (!cond.holds(view)) continue;
    for (const name of cond.requires) {
      if (!values.has(name) && !missing.has(name)) missing.set(name, `is required because ${cond.because}`);
    }
  }
  for (const [name, why] of missing) {
    const entry = lookup(name);
    if (entry === undefined) continue; // reported above, with the file to edit
    problems.push({ stack, key: qualified(name), message: `${why} but is not set`, fix: setCommand(entry), kind: "missing" });
  }

  if (values.get("SHITHUB_ENV")?.value === "prod") {
    for (const [name, wrong, message, good] of PRODUCTION_RULES) {
      const text = known(name);
      const entry = lookup(name);
      if (text !== undefined && entry !== undefined && wrong(text)) add(name, message, setCommand(entry, good));
    }
  }
  return problems;
}

function unknownName(stack: string, name: string, v: EnvValue): Problem {
  const key = qualified(name);
  const suggestion = CATALOGUE.has(`SHITHUB_${name}`) ? `SHITHUB_${name}` : didYouMean(name, CATALOGUE.keys());
  if (suggestion === undefined) {
    return {
      stack,
      key,
      message: "is not a variable shithubd reads (it would be silently ignored)",
      fix: `pulumi config rm ${key} -s ${stack}`,
    };
  }
  const secret = isSecretValue(v) || (lookupInCatalogue(suggestion)?.secret ?? false);
  return {
    stack,
    key,
    message: `is not a variable shithubd reads (it would be silently ignored); did you mean ${suggestion}?`,
    fix: renameCommand(stack, key, qualified(suggestion), secret),
  };
}

/** Linux's MAX_ARG_STRLEN: 32 pages of 4 KiB, the longest single environment string execve accepts. */
export const MAX_ARG_STRLEN = 131_072;

function checkStackValue(
  stack: string,
  entry: CatalogueEntry,
  v: EnvValue,
  add: (name: string, message: string, fix: string) => void,
  setCommand: (entry: CatalogueEntry, value?: string) => string,
): void {
  const key = qualified(entry.name);
  if (entry.secret && !isSecretValue(v)) {
    add(entry.name, "is a secret (shithubd redacts it) but is stored in plaintext in the stack file; it must be set with --secret", reencryptCommand(stack, key));
  }
  if (v.placeholder) return;
  const text = textOf(v);
  if (UNWRITABLE.test(text)) {
    add(entry.name, "contains a newline, carriage return or NUL, which an env file cannot carry", setCommand(entry, `'<the value on one line>'`));
    return;
  }
  if (text === "") {
    add(entry.name, "is empty; set a value or remove the key", setCommand(entry));
    return;
  }
  // execve hands each NAME=value string to the process; Linux refuses one longer than this.
  if (Buffer.byteLength(`${entry.name}=${text}`) + 1 > MAX_ARG_STRLEN) {
    add(entry.name, `is longer than Linux passes to a process in one environment string (${MAX_ARG_STRLEN} bytes with its name): shithubd would not start`, setCommand(entry));
    return;
  }
  const reason = checkValue(entry.type, text);
  if (reason !== undefined) add(entry.name, reason, setCommand(entry));
}

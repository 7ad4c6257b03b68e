import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";

/**
 * What every command of this project does the same way (docs/reference/commands.md): `--help`,
 * `-s` for `--stack`, and one meaning per exit code. An operator's mistake is a message and a
 * code, never a stack trace.
 */
export const EXIT = {
  /** Done; the verdict is pass. */
  ok: 0,
  /** A failure, a refusal or a fail verdict: the message says which and what to do. */
  fail: 1,
  /** No verdict yet (the canary has not seen enough). */
  noVerdict: 2,
  /** The command line is wrong (sysexits' EX_USAGE). */
  usage: 64,
  /** A bug in this project (sysexits' EX_SOFTWARE): nothing was changed by the failure itself. */
  bug: 70,
} as const;

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly default?: string | boolean;
  /** The value's placeholder in the usage, e.g. `<name>`. */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  /** The npm script, e.g. `plan` or `bench:takeover`. */
  readonly script: string;
  readonly summary: string;
  /** The command lines it takes, after `npm run <script> --`. */
  readonly synopsis: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Verbs it takes as its first word, if any. */
  readonly verbs?: Readonly<Record<string, string>>;
  /** Verbs that take words after them: how many before `--`, and whether anything may follow `--` (passed on as it is). */
  readonly verbArgs?: Readonly<Record<string, { readonly words: number; readonly passThrough?: boolean }>>;
  /** The exit codes it uses, each with what it means here. */
  readonly exits: Readonly<Partial<Record<(typeof EXIT)[keyof typeof EXIT], string>>>;
  /** Environment variables it reads. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The stack option every stack command shares. */
export const STACK_OPTION: OptionSpec = { type: "string", short: "s", value: "<name>", help: "the stack (Pulumi.<name>.yaml)" };
export const DIR_OPTION: OptionSpec = { type: "string", default: ".", value: "<dir>", help: "the project directory" };
export const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "print this help and exit 0" };

/** A wrong command line: its message, then the usage, exit 64. */
export class UsageError extends Error {}
/** An operator's input or situation refused: its message, exit 1. */
export class Refusal extends Error {}

export function helpText(spec: CommandSpec): string {
  const flag = (name: string, o: OptionSpec) => `${o.short !== undefined ? `-${o.short}, ` : "    "}--${name}${o.value !== undefined ? ` ${o.value}` : ""}`;
  const options = Object.entries({ ...spec.options, help: HELP_OPTION });
  const width = Math.max(...options.map(([n, o]) => flag(n, o).length));
  const lines = [
    `npm run ${spec.script}: ${spec.summary}`,
    "",
    "usage:",
    ...spec.synopsis.map((s) => `  npm run ${spec.script}${s === "" ? "" : ` -- ${s}`}`),
  ];
  if (spec.verbs !== undefined) {
    const w = Math.max(...Object.keys(spec.verbs).map((v) => v.length));
    lines.push("", "verbs:", ...Object.entries(spec.verbs).map(([v, h]) => `  ${v.padEnd(w)}  ${h}`));
  }
  lines.push("", "options:", ...options.map(([n, o]) => `  ${flag(n, o).padEnd(width)}  ${o.help}${o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ""}`));
  if (spec.env !== undefined) lines.push("", "environment:", ...Object.entries(spec.env).map(([k, v]) => `  ${k}: ${v}`));
  lines.push("", "exit codes:", ...Object.entries(spec.exits).map(([code, what]) => `  ${code.padStart(2)}  ${what}`));
  return `${lines.join("\n")}\n`;
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly verb?: string;
  /** The words after the verb (verbArgs), and what followed `--`. */
  readonly words?: readonly string[];
  readonly passed?: readonly string[];
}

/** The command line by the spec: unknown options, stray words and unknown verbs are UsageErrors. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed | "help" {
  const options = Object.fromEntries(Object.entries({ ...spec.options, help: HELP_OPTION }).map(([n, o]) => [n, {
    type: o.type,
    ...(o.short !== undefined ? { short: o.short } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
  }]));
  // What follows `--` is a verb's to pass on (npm run ops -- exec -- admin …), never read as options here.
  const end = spec.verbArgs === undefined ? -1 : argv.indexOf("--");
  const own = end < 0 ? argv : argv.slice(0, end);
  const passed = end < 0 ? undefined : argv.slice(end + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: [...own], options: options as ParseArgsConfig["options"], allowPositionals: spec.verbs !== undefined, strict: true });
  } catch (err) {
    if (argv.includes("--help") || argv.includes("-h")) return "help";
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as Record<string, unknown>).help === true) return "help";
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (spec.verbs === undefined) return { values };
  const [verb, ...rest] = parsed.positionals;
  if (verb === undefined) throw new UsageError(`a verb is needed: ${Object.keys(spec.verbs).join(", ")}`);
  if (!(verb in spec.verbs)) throw new UsageError(`unknown verb '${verb}' (known: ${Object.keys(spec.verbs).join(", ")})`);
  const takes = spec.verbArgs?.[verb];
  if (rest.length > (takes?.words ?? 0)) throw new UsageError(`unexpected argument '${rest[takes?.words ?? 0]}'`);
  if (passed !== undefined && takes?.passThrough !== true) throw new UsageError(`${verb} takes nothing after --`);
  return { values, verb, ...(takes !== undefined ? { words: rest } : {}), ...(passed !== undefined ? { passed } : {}) };
}

/** A string option's value, or a UsageError naming it. */
export function required(parsed: Parsed, name: string): string {
  const v = parsed.values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

export const optional = (parsed: Parsed, name: string): string | undefined => {
  const v = parsed.values[name];
  return typeof v === "string" ? v : undefined;
};

/**
 * Runs a command: help on `--help`, usage errors with the usage (64), refusals as their message
 * (1), and anything else as a bug (70), with the stack trace only when SHITHUB_DEBUG is set.
 */
export function runCommand(spec: CommandSpec, main: (parsed: Parsed) => Promise<number> | number, argv: readonly string[] = process.argv.slice(2)): void {
  const usage = () => `usage:\n${spec.synopsis.map((s) => `  npm run ${spec.script}${s === "" ? "" : ` -- ${s}`}`).join("\n")}\n(npm run ${spec.script} -- --help for more)\n`;
  const finish = (code: number) => process.exit(code);
  const failed = (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n${usage()}`);
      return finish(EXIT.usage);
    }
    if (err instanceof Refusal) {
      process.stderr.write(`error: ${err.message}\n`);
      return finish(EXIT.fail);
    }
    const detail = err instanceof Error ? (process.env.SHITHUB_DEBUG !== undefined ? err.stack ?? err.message : err.message) : String(err);
    process.stderr.write(`error: unexpected failure in npm run ${spec.script}: ${detail}\n(a bug in shithub-infra; SHITHUB_DEBUG=1 prints where)\n`);
    return finish(EXIT.bug);
  };
  let parsed;
  try {
    parsed = parseCommand(spec, argv);
  } catch (err) {
    failed(err);
    return;
  }
  if (parsed === "help") {
    process.stdout.write(helpText(spec));
    finish(EXIT.ok);
    return;
  }
  Promise.resolve().then(() => main(parsed)).then(finish, failed);
}

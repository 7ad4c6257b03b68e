/**
 * A configuration problem found before any resource is registered. Every problem names
 * the stack, the config key, what is wrong and the exact command that fixes it.
 */
export interface Problem {
  readonly stack: string;
  /** Fully qualified config key, e.g. `shithubd:SHITHUB_SESSION_KEY`. */
  readonly key: string;
  readonly message: string;
  /** A command the operator can run as is. */
  readonly fix: string;
  /** `missing`: a required key is not set (the offline plan may stand a placeholder in for a secret). */
  readonly kind?: "missing";
}

/** Renders problems the way `pulumi preview` and `npm run plan` print them. */
export function formatProblems(problems: readonly Problem[]): string {
  const stack = problems[0]?.stack ?? "?";
  const count = problems.length === 1 ? "1 configuration problem" : `${problems.length} configuration problems`;
  const lines = [`Stack '${stack}' has ${count}; no resource was registered and no host was touched:`];
  problems.forEach((p, i) => {
    lines.push(`  ${i + 1}. ${p.key}: ${p.message}`);
    lines.push(`     fix: ${p.fix}`);
  });
  return lines.join("\n");
}

/** Thrown once, with every problem, before the first resource is registered. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

/** The command of a value written as a command substitution (`"$(cat key.pub)"`), which the shell runs; else undefined. */
export function substitutedCommand(value: string): string | undefined {
  return /^"\$\(([^"]*)\)"$/.exec(value)?.[1];
}

/** `pulumi config set` for one key, with `--secret` when the value must be encrypted. */
export function configSetCommand(stack: string, key: string, value: string, secret: boolean): string {
  if (!secret) return `pulumi config set ${key} ${value} -s ${stack}`;
  // A secret goes in on stdin, never as an argument (ps, shell history): from the command that
  // makes it, or typed at the prompt.
  const made = substitutedCommand(value);
  return made !== undefined ? `${made} | pulumi config set --secret ${key} -s ${stack}` : `pulumi config set --secret ${key} -s ${stack}   # then the value at the prompt`;
}

/** Stores a value that sits in plaintext in the stack file as a secret, unchanged. */
export function reencryptCommand(stack: string, key: string): string {
  return configSetCommand(stack, key, `"$(pulumi config get ${key} -s ${stack})"`, true);
}

/** Moves a value to another key, keeping it secret if it must be; the old key is removed. */
export function renameCommand(stack: string, from: string, to: string, secret: boolean): string {
  return `${configSetCommand(stack, to, `"$(pulumi config get ${from} -s ${stack})"`, secret)} && pulumi config rm ${from} -s ${stack}`;
}

/** A structured config value (the CLI hands lists and objects over as JSON text), or undefined when it is not JSON. */
export function jsonValueOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A list-valued config value, or undefined when it is not a list. */
export function parseJsonList(text: string): unknown[] | undefined {
  const parsed = jsonValueOf(text);
  return Array.isArray(parsed) ? parsed : undefined;
}

/** Quotes a value for a POSIX shell command line shown in a fix. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

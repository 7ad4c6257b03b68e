import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** A config key declared in Pulumi.yaml. */
export interface DeclaredKey {
  readonly type?: string;
  readonly default?: unknown;
}

export interface ProjectFile {
  readonly name: string;
  /** Fully qualified key to declaration. */
  readonly config: ReadonlyMap<string, DeclaredKey>;
}

/** A stack file read the way the CLI reads it, with `secure:` values left opaque. */
export interface StackFileConfig {
  readonly stack: string;
  readonly file: string;
  /** Fully qualified key to value, project defaults merged in, every value a string. */
  readonly values: Record<string, string>;
  /** `secure:` keys: their value here is a placeholder. */
  readonly secureKeys: Set<string>;
}

/** A problem the CLI itself would report before running the program. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

function readYaml(path: string): unknown {
  if (!existsSync(path)) throw new StackFileError(`${path} does not exist`);
  try {
    return parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new StackFileError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Unqualified keys in Pulumi.yaml belong to the project's namespace, as in the CLI. */
function qualify(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

export function loadProject(dir: string): ProjectFile {
  const doc = readYaml(join(dir, "Pulumi.yaml"));
  if (!isRecord(doc) || typeof doc.name !== "string") throw new StackFileError("Pulumi.yaml has no project name");
  const config = new Map<string, DeclaredKey>();
  for (const [key, decl] of Object.entries(isRecord(doc.config) ? doc.config : {})) {
    config.set(qualify(doc.name, key), isRecord(decl) ? decl : { default: decl });
  }
  return { name: doc.name, config };
}

/** The placeholder an offline plan writes where the decrypted secret (or other operator value) would be. */
export function secretPlaceholder(key: string, why: string): string {
  return `<${key.endsWith("Sha256") ? "value" : "secret"} ${key} ${why}>`;
}

const YAML_TYPE: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  integer: (v) => Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v)),
  boolean: (v) => typeof v === "boolean" || v === "true" || v === "false",
};

/**
 * Reads `Pulumi.<stack>.yaml` and merges the project's defaults under it, like the CLI does
 * before it starts the program. Type errors of declared keys are the CLI's errors, raised here.
 */
export function loadStackFile(dir: string, stack: string, project: ProjectFile = loadProject(dir)): StackFileConfig {
  const file = `Pulumi.${stack}.yaml`;
  const doc = readYaml(join(dir, file)) ?? {};
  if (!isRecord(doc)) throw new StackFileError(`${file} is not a YAML mapping`);
  const config = isRecord(doc.config) ? doc.config : {};
  const values: Record<string, string> = {};
  const secureKeys = new Set<string>();

  for (const [rawKey, value] of Object.entries(config)) {
    const key = qualify(project.name, rawKey);
    if (isRecord(value) && typeof value.secure === "string") {
      secureKeys.add(key);
      values[key] = secretPlaceholder(key, `from ${file}`);
      continue;
    }
    const type = project.config.get(key)?.type;
    const check = type === undefined ? undefined : YAML_TYPE[type];
    if (check !== undefined && !check(value)) {
      throw new StackFileError(`Stack '${stack}' with configuration key '${key}' must be of type '${type}'`);
    }
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const [key, decl] of project.config) {
    if (!(key in values) && decl.default !== undefined) {
      values[key] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
    }
  }
  return { stack, file, values, secureKeys };
}

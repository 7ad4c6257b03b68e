import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parse, parseDocument } from "yaml";
import type { Node } from "yaml";

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

/** A problem the CLI itself would report before running the program; `fix` says what to do. */
export class StackFileError extends Error {
  constructor(message: string, readonly fix?: string) {
    super(fix === undefined ? message : `${message}\n  fix: ${fix}`);
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

/** Whether a value's literal text is of a declared type, as the CLI checks it. */
const TEXT_TYPE: Record<string, (text: string) => boolean> = {
  string: () => true,
  integer: (t) => /^-?\d+$/.test(t),
  boolean: (t) => t === "true" || t === "false",
};

const kindOf = (node: unknown): string => (isSeq(node) ? "a list" : isScalar(node) ? "a single value" : "empty");

/**
 * A config value as the CLI passes it to the program: a plain scalar is its literal text
 * (`4` is "4", `0x1f` stays "0x1f", `1.10` stays "1.10"), a quoted one its string, a list or
 * mapping its JSON.
 */
function valueText(node: Node | null): { text: string; scalar: boolean } {
  if (node === null) return { text: "", scalar: true };
  if (isScalar(node)) {
    if (node.type === "PLAIN") return { text: node.value === null ? "" : String(node.source ?? node.value), scalar: true };
    return { text: String(node.value), scalar: true };
  }
  return { text: JSON.stringify(node.toJSON()), scalar: false };
}

/** The ciphertext the passphrase provider writes (`pulumi config set --secret`): v1:<nonce>:<sealed>, both base64. */
const PASSPHRASE_CIPHERTEXT = /^v1:[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/;

/**
 * Why a value's YAML would not reach the program as this plan reads it, or undefined. Tags
 * (`!!binary`, `!!int`, `!custom`) and aliases are resolved differently by the CLI's Go reader
 * and by this one; a `secure:` value is a mapping of that one key to the ciphertext the stack's
 * secrets provider wrote, and nowhere else (a list or object holds no secrets here).
 */
function shapeProblem(node: Node | null, passphrase: boolean, top = true): string | undefined {
  if (node === null) return undefined;
  if (isAlias(node)) return "is a YAML alias (*name): write the value itself";
  if (node.tag !== undefined) return `carries the YAML tag ${node.tag.replace("tag:yaml.org,2002:", "!!")}, which the CLI and this plan resolve differently: write the value plainly (quoted if it must stay text)`;
  if (isMap(node) && node.has("secure")) {
    if (!top) return "holds a secure: value inside a list or object: secrets here are whole keys, set with --secret";
    const cipher = node.get("secure", true);
    if (node.items.length !== 1 || !isScalar(cipher) || typeof cipher.value !== "string" || cipher.tag !== undefined) return "is a secure: value with another shape than the CLI writes (one key, secure, and the ciphertext as text)";
    if (passphrase ? !PASSPHRASE_CIPHERTEXT.test(cipher.value) : !/^[\x21-\x7e]+$/.test(cipher.value)) return "is a secure: value whose ciphertext is not what this stack's secrets provider writes (it cannot be decrypted)";
    return undefined;
  }
  const children = isMap(node) ? node.items.flatMap((p) => [p.key as Node | null, p.value as Node | null]) : isSeq(node) ? (node.items as Array<Node | null>) : [];
  for (const child of children) {
    if (isScalar(child) && child.value === "<<" && child.type === "PLAIN") return "uses a YAML merge key (<<): write the entries out";
    const problem = shapeProblem(child, passphrase, false);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Reads `Pulumi.<stack>.yaml` and merges the project's defaults under it, like the CLI does
 * before it starts the program. File-level errors (not YAML, a repeated key, the wrong shape)
 * and type errors of declared keys are the CLI's errors, raised here with the file's path,
 * line and a fix.
 */
export function loadStackFile(dir: string, stack: string, project: ProjectFile = loadProject(dir)): StackFileConfig {
  const file = `Pulumi.${stack}.yaml`;
  const path = join(dir, file);
  if (!existsSync(path)) {
    throw new StackFileError(`${path} does not exist: there is no stack named '${stack}' here`,
      `pulumi stack init ${stack}, then set its configuration (README: Run it)`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(path, "utf8"), { uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const { line, col } = lines.linePos(offset ?? 0);
    return `${path}:${line}:${col}`;
  };
  const [error] = doc.errors;
  if (error !== undefined) {
    const where = at(error.pos[0]);
    if (error.code === "DUPLICATE_KEY") {
      const config = isMap(doc.contents) ? doc.contents.get("config", true) : undefined;
      const pairs = isMap(config) ? config.items : [];
      const name = (k: unknown) => String(isScalar(k) ? k.value : k);
      const twice = pairs.find((p, i) => pairs.findIndex((q) => name(q.key) === name(p.key)) !== i);
      const key = twice === undefined ? undefined : name(twice.key);
      const lineNumbers = pairs.filter((p) => key !== undefined && name(p.key) === key).map((p) => lines.linePos((p.key as Node).range?.[0] ?? 0).line);
      throw new StackFileError(
        `${where}: ${key === undefined ? "a key" : `'${key}'`} is set twice${lineNumbers.length > 1 ? ` (lines ${lineNumbers.join(" and ")})` : ""}; YAML allows each key once and the CLI refuses the file`,
        key === undefined ? `delete one of the two lines` : `delete one of the two lines, or pulumi config set ${qualify(project.name, key)} VALUE -s ${stack}, which keeps one`);
    }
    throw new StackFileError(`${where}: not YAML the CLI can read: ${error.message.split("\n")[0]}`,
      `correct the file at that line (quote a value that has ':' or '#' in it), or set the value again with pulumi config set KEY VALUE -s ${stack}`);
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    throw new StackFileError(`${at(root.range?.[0])}: the file is ${kindOf(root)}, not a mapping with a 'config:' key`,
      `make the file a mapping: a line 'config:' and each setting indented under it, as pulumi config set -s ${stack} writes it`);
  }
  const configNode = root === null ? null : root.get("config", true);
  if (configNode !== undefined && configNode !== null && !isMap(configNode)) {
    throw new StackFileError(`${at((configNode as Node).range?.[0])}: 'config' is ${kindOf(configNode)}, not a mapping of keys to values`,
      `put each setting on its own line indented under 'config:' (KEY: VALUE), as pulumi config set -s ${stack} writes it`);
  }
  const values: Record<string, string> = {};
  const secureKeys = new Set<string>();
  // A stack file with an encryption salt uses the passphrase provider.
  const passphrase = isMap(root) && root.has("encryptionsalt");

  for (const pair of isMap(configNode) ? configNode.items : []) {
    const key = qualify(project.name, String(isScalar(pair.key) ? pair.key.value : pair.key));
    const node = pair.value as Node | null;
    const shape = shapeProblem(node, passphrase);
    if (shape !== undefined) {
      throw new StackFileError(`${at(node?.range?.[0])}: '${key}' ${shape}`,
        `pulumi config set ${key} VALUE -s ${stack}${isMap(node) && node.has("secure") ? " --secret" : ""}, which writes the value as the CLI reads it`);
    }
    if (isMap(node) && node.has("secure")) {
      secureKeys.add(key);
      values[key] = secretPlaceholder(key, `from ${file}`);
      continue;
    }
    const { text, scalar } = valueText(node);
    const type = project.config.get(key)?.type;
    const check = type === undefined ? undefined : TEXT_TYPE[type];
    if (check !== undefined && (!scalar || !check(text))) {
      throw new StackFileError(`${at(node?.range?.[0])}: Stack '${stack}' with configuration key '${key}' must be of type '${type}'`,
        `pulumi config set ${key} VALUE -s ${stack}, VALUE being ${type === "integer" ? "a whole number" : type === "boolean" ? "true or false" : "text"}`);
    }
    values[key] = text;
  }
  for (const [key, decl] of project.config) {
    if (!(key in values) && decl.default !== undefined) {
      values[key] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
    }
  }
  return { stack, file, values, secureKeys };
}

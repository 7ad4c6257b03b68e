/**
 * The test world's one stand-in for the Pulumi CLI: `pulumi config set|get|rm`, so the runbooks
 * that edit a stack's config run offline (tests/stack/docs.test.ts). It edits
 * `Pulumi.<stack>.yaml` in the working directory the way the CLI does: the key qualified with
 * the project's name, comments and order kept, a value from standard input when none is given
 * (its final newline dropped), and `--secret` written as a `secure:` value.
 *
 * What it does not do, and why that is safe for the plan: the ciphertext is random bytes, not
 * the value encrypted, because nothing here can decrypt, and the offline plan treats every
 * `secure:` value as present and unknown, exactly as it does a real one. Any other verb exits
 * 127, so a runbook that needs the real CLI cannot pass here by accident.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { isMap, parse, parseDocument } from "yaml";

function fail(message: string, code = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv: readonly string[]): { words: string[]; stack?: string; secret: boolean } {
  const words: string[] = [];
  let stack: string | undefined;
  let secret = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-s" || a === "--stack") stack = argv[++i];
    else if (a.startsWith("--stack=")) stack = a.slice("--stack=".length);
    else if (a === "--secret") secret = true;
    else if (a === "--plaintext") secret = false;
    else if (a.startsWith("-")) fail(`the stand-in does not simulate the flag ${a}`, 127);
    else words.push(a);
  }
  return { words, ...(stack !== undefined ? { stack } : {}), secret };
}

function qualify(key: string): string {
  if (key.includes(":")) return key;
  const project = (parse(readFileSync("Pulumi.yaml", "utf8")) as { name: string }).name;
  return `${project}:${key}`;
}

function readValue(given: string | undefined): string {
  if (given !== undefined) return given;
  if (process.stdin.isTTY) fail("the stand-in reads a value from standard input, not a prompt", 127);
  return readFileSync(0, "utf8").replace(/\r?\n$/, "");
}

const { words, stack, secret } = parseArgs(process.argv.slice(2));
const [group, verb, rawKey, given] = words;
if (group !== "config" || (verb !== "set" && verb !== "get" && verb !== "rm") || rawKey === undefined) {
  fail(`the stand-in simulates only 'pulumi config set|get|rm KEY -s STACK', not 'pulumi ${process.argv.slice(2).join(" ")}'`, 127);
}
if (stack === undefined) fail("no stack selected: pass -s STACK");
const file = `Pulumi.${stack}.yaml`;
const key = qualify(rawKey);
const doc = parseDocument(readFileSync(file, "utf8"));
if (!isMap(doc.contents)) fail(`${file} is not a mapping`);

if (verb === "get") {
  const value: unknown = doc.getIn(["config", key]);
  if (value === undefined) fail(`configuration key '${key}' not found for stack '${stack}'`);
  if (isMap(value)) fail(`'${key}' is a secret; the stand-in cannot decrypt`, 127);
  process.stdout.write(`${String(value)}\n`);
} else if (verb === "rm") {
  doc.deleteIn(["config", key]);
  writeFileSync(file, doc.toString({ flowCollectionPadding: false }));
} else {
  const value = readValue(given);
  doc.setIn(["config", key], secret ? doc.createNode({ secure: `v1:${randomBytes(24).toString("base64")}` }) : value);
  writeFileSync(file, doc.toString({ flowCollectionPadding: false }));
}

import { createTwoFilesPatch } from "diff";
import { isSecretName } from "../components/config/catalogue";
import { SECRET_SIG } from "./summary";

/** What a plan leaves behind that a diff compares: its resources' inputs and every host file. */
export interface PlanSnapshot {
  readonly resources: ReadonlyArray<{
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    /** The resource's ignoreChanges: the engine keeps the old value of these inputs (absent in a tree from before it was recorded). */
    readonly ignoreChanges?: readonly string[];
  }>;
  readonly files: ReadonlyArray<{ readonly host: string; readonly path: string; readonly content: string; readonly secret: boolean }>;
}

/**
 * Inputs whose change makes the engine replace the resource rather than update it, per the
 * providers' schemas (ForceNew in the bridged Terraform providers): what `pulumi preview` would
 * show as `+-`. Types not listed update in place.
 */
export const REPLACED_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  "digitalocean:index/droplet:Droplet": ["image", "region", "userData", "vpcUuid", "name", "sshKeys"],
  "digitalocean:index/volume:Volume": ["region", "name", "initialFilesystemType", "initialFilesystemLabel", "snapshotId"],
  "digitalocean:index/volumeAttachment:VolumeAttachment": ["dropletId", "volumeId"],
  "digitalocean:index/vpc:Vpc": ["region", "ipRange"],
  "digitalocean:index/spacesBucket:SpacesBucket": ["name", "region"],
  "digitalocean:index/spacesKey:SpacesKey": ["name"],
  "digitalocean:index/reservedIp:ReservedIp": ["region"],
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": ["dropletId", "ipAddress"],
  "digitalocean:index/dnsRecord:DnsRecord": ["domain", "type"],
  "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
  "random:index/randomPassword:RandomPassword": ["length", "special"],
  "random:index/randomBytes:RandomBytes": ["length"],
  "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
  "command:remote:Command": ["triggers"],
};

export type ResourceChange = { readonly op: "create" | "delete" | "update" | "replace"; readonly type: string; readonly name: string; readonly inputs: readonly string[] };

export interface PlanDiff {
  readonly resources: readonly ResourceChange[];
  /** Per app host whose release step changes its version or binary: `v1.8.1 → v1.9.0`, with the checksums. */
  readonly releases: ReadonlyArray<{ readonly host: string; readonly from?: Release; readonly to?: Release }>;
  /** Per host, the unified diff of each host file that differs (secret values masked). */
  readonly files: ReadonlyArray<{ readonly host: string; readonly path: string; readonly patch: string }>;
}

const isSecret = (v: unknown): boolean => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] !== undefined;
const stable = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  (typeof x === "object" && x !== null && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** The inputs that differ, named as the engine names them; a secret input shows as changed, never its value. */
function changedInputs(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => stable(before[k]) !== stable(after[k])).map((k) => (isSecret(before[k]) || isSecret(after[k]) ? `${k} [secret]` : k));
}

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
/** A `KEY=` line whose value the masker may print: its name is not secret by shithubd's rule. */
const clearLine = (line: string): { key: string; value: string } | undefined => {
  const m = KEY_LINE.exec(line);
  return m !== null && !isSecretName(m[1]!) ? { key: m[1]!, value: m[2]! } : undefined;
};

/**
 * The values a secret file holds under a secret name (shithubd's redaction rule: key, token,
 * password, url, ...) or on a line that is not `KEY=VALUE`: what no line of the diff may print,
 * whatever the name it appears under.
 */
export function secretValues(texts: readonly string[]): Set<string> {
  const values = new Set<string>();
  for (const line of texts.flatMap((t) => t.split("\n"))) {
    if (line === "" || clearLine(line) !== undefined) continue;
    const m = KEY_LINE.exec(line);
    const value = (m === null ? line : m[2]!).replace(/^(["'])(.*)\1$/, "$2");
    if (value.length >= 4) values.add(value);
  }
  return values;
}

/**
 * A secret file's lines as a reviewer may read them. `KEY=VALUE` keeps its key; its value is in
 * the clear only when the name is not secret and the value holds none of `secrets`, so
 * `SHITHUB_LOG__FORMAT=json` reads as itself. Every other value is a token: equal values share
 * one, different values get different ones, and no token is derived from a value. The table is
 * shared by both sides of one diff.
 */
function masker(secrets: ReadonlySet<string>): (text: string) => string {
  const tokens = new Map<string, string>();
  const token = (value: string) => {
    if (!tokens.has(value)) tokens.set(value, `<secret value ${tokens.size + 1}>`);
    return tokens.get(value)!;
  };
  const holdsSecret = (value: string) => [...secrets].some((s) => value.includes(s));
  return (text) => text.split("\n").map((line) => {
    const clear = clearLine(line);
    if (clear !== undefined && !holdsSecret(clear.value)) return line;
    const m = KEY_LINE.exec(line);
    return m !== null ? `${m[1]}=${m[2] === "" ? "" : token(m[2]!)}` : line === "" ? "" : token(line);
  }).join("\n");
}

/** The bundles a step sends carry the very files listed beside them: their change shows as the step's update. */
const isBundle = (path: string) => /^\/run\/shithub-.*\.bundle$/.test(path);

interface Release {
  readonly version: string;
  readonly sha256: string;
}

/**
 * What a reviewer reads of a step's bundle (components/hosts/bundle.ts): the script it runs and
 * each program it stages (a file starting with `#!`: the scripts and libraries root runs), in the
 * clear; its variables as `KEY=` lines, masked as a secret file's are; and for a
 * release, its version and checksum. Staged data files are the host files listed beside it.
 */
export function bundleParts(text: string): { variables: string; programs: Record<string, string>; release?: Release } {
  const lines = text.split("\n");
  const stage = lines.findIndex((l) => l.startsWith("STAGE=$(mktemp"));
  const variables = lines.slice(0, Math.max(stage, 0)).filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l));
  const programs: Record<string, string> = {};
  let end = 0;
  for (const m of text.matchAll(/^stage_file (\S+) <<'(\w+)'\n([^]*?)\n\2$/gm)) {
    const content = Buffer.from(m[3]!.replace(/\n/g, ""), "base64").toString("utf8");
    if (content.startsWith("#!")) programs[m[1]!] = content;
    end = m.index + m[0].length;
  }
  programs["(the step's script)"] = text.slice(end).replace(/^\n+/, "");
  const value = (name: string) => {
    const line = variables.find((l) => l.startsWith(`${name}=`));
    return line === undefined ? undefined : line.slice(name.length + 1).replace(/^'(.*)'$/, "$1");
  };
  const version = value("RELEASE_VERSION");
  const sha256 = value("ARTIFACT_SHA256");
  return { variables: variables.join("\n"), programs, ...(version !== undefined && sha256 !== undefined ? { release: { version, sha256 } } : {}) };
}

/** What changes from `before` (the stack at a git ref) to `after` (the working tree). */
export function diffPlans(before: PlanSnapshot, after: PlanSnapshot, labels: { readonly before: string; readonly after: string }): PlanDiff {
  const key = (r: { type: string; name: string }) => `${r.type}\u0000${r.name}`;
  const old = new Map(before.resources.filter((r) => r.custom).map((r) => [key(r), r]));
  const next = new Map(after.resources.filter((r) => r.custom).map((r) => [key(r), r]));
  const resources: ResourceChange[] = [];
  for (const [k, r] of next) {
    const was = old.get(k);
    if (was === undefined) {
      resources.push({ op: "create", type: r.type, name: r.name, inputs: [] });
      continue;
    }
    // The program's own ignoreChanges (the working tree's) decide, as in the engine's diff.
    const ignored = new Set(r.ignoreChanges ?? []);
    const inputs = changedInputs(was.inputs, r.inputs).filter((i) => !ignored.has(i.replace(/ \[secret\]$/, "")));
    if (inputs.length === 0) continue;
    const replacing = REPLACED_ON_CHANGE[r.type] ?? [];
    const op = inputs.some((i) => replacing.includes(i.replace(/ \[secret\]$/, ""))) ? "replace" : "update";
    resources.push({ op, type: r.type, name: r.name, inputs });
  }
  for (const [k, r] of old) if (!next.has(k)) resources.push({ op: "delete", type: r.type, name: r.name, inputs: [] });

  const fileKey = (f: { host: string; path: string }) => `${f.host}\u0000${f.path}`;
  // A bundle as its parts: its programs in the clear, its variables as a secret file.
  type Part = { host: string; path: string; content: string; secret: boolean };
  const releases: Array<{ host: string; from?: Release; to?: Release }> = [];
  const partsOf = (files: PlanSnapshot["files"], side: "from" | "to"): Part[] => files.flatMap((f): Part[] => {
    if (!isBundle(f.path)) return [f];
    const parts = bundleParts(f.content);
    if (parts.release !== undefined) {
      const entry = releases.find((r) => r.host === f.host) ?? (releases.push({ host: f.host }), releases[releases.length - 1]!);
      entry[side] = parts.release;
    }
    return [
      { host: f.host, path: `${f.path} (variables)`, content: parts.variables, secret: true },
      ...Object.entries(parts.programs).map(([name, content]) => ({ host: f.host, path: name.startsWith("(") ? `${f.path} ${name}` : `${f.path}: ${name}`, content, secret: false })),
    ];
  });
  const oldFiles = new Map(partsOf(before.files, "from").map((f) => [fileKey(f), f]));
  const newFiles = new Map(partsOf(after.files, "to").map((f) => [fileKey(f), f]));
  const secrets = secretValues([...oldFiles.values(), ...newFiles.values()].filter((f) => f.secret).map((f) => f.content));
  const files: Array<{ host: string; path: string; patch: string }> = [];
  for (const k of [...new Set([...oldFiles.keys(), ...newFiles.keys()])].sort()) {
    const a = oldFiles.get(k);
    const b = newFiles.get(k);
    if (a?.content === b?.content) continue;
    const { host, path } = (b ?? a)!;
    const mask = a?.secret === true || b?.secret === true ? masker(secrets) : (t: string) => t;
    const patch = createTwoFilesPatch(`a${path}`, `b${path}`, a === undefined ? "" : mask(a.content), b === undefined ? "" : mask(b.content),
      a === undefined ? "(absent)" : labels.before, b === undefined ? "(absent)" : labels.after);
    files.push({ host, path, patch: patch.replace(/^=+\n/, "") });
  }
  const changedReleases = releases.filter((r) => r.from?.version !== r.to?.version || r.from?.sha256 !== r.to?.sha256);
  return { resources, releases: changedReleases, files };
}

/** The diff as a reviewer reads it: resources by operation, then each host's file diffs. */
export function renderPlanDiff(stack: string, diff: PlanDiff, labels: { readonly before: string; readonly after: string }): string {
  const head = `Plan diff of stack '${stack}': ${labels.after} against ${labels.before}`;
  if (diff.resources.length === 0 && diff.files.length === 0 && diff.releases.length === 0) return `${head}\nno changes`;
  const sign = { create: "+", delete: "-", update: "~", replace: "+-" } as const;
  const count = (op: ResourceChange["op"]) => diff.resources.filter((r) => r.op === op).length;
  const out = [head, `Resources: ${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete`];
  for (const r of diff.resources) out.push(`  ${sign[r.op].padEnd(2)} ${r.type} ${r.name}${r.inputs.length > 0 ? ` (${r.inputs.join(", ")})` : ""}`);
  const short = (sha: string) => (/^[0-9a-f]{64}$/.test(sha) ? `${sha.slice(0, 12)}…` : sha);
  for (const r of diff.releases) {
    const from = r.from === undefined ? "(none)" : r.from.version;
    const to = r.to === undefined ? "(none)" : r.to.version;
    const sums = r.from !== undefined && r.to !== undefined && r.from.sha256 === r.to.sha256
      ? `sha256 unchanged: ${short(r.to.sha256)}`
      : `sha256 ${r.from === undefined ? "(none)" : short(r.from.sha256)} → ${r.to === undefined ? "(none)" : short(r.to.sha256)}`;
    out.push(`Release on ${r.host}: ${from} → ${to} (${sums})`);
  }
  const hosts = [...new Set(diff.files.map((f) => f.host))];
  out.push(`Host files and steps' programs: ${diff.files.length} changed on ${hosts.length} host${hosts.length === 1 ? "" : "s"}`);
  for (const host of hosts) {
    out.push(`\n${host}:`);
    for (const f of diff.files.filter((x) => x.host === host)) out.push(f.patch.trimEnd());
  }
  return out.join("\n");
}

import { describeImage } from "../components/hosts/platform";
import type { PlannedFile, RecordedResource } from "./run";

type Inputs = Record<string, unknown>;

/** Pulumi's marker on a secret value as the mock monitor receives it. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The value inside a secret wrapper, for fields of it that are not secret themselves (e.g. a connection's host). */
export function unwrapSecret(v: unknown): unknown {
  return typeof v === "object" && v !== null && SECRET_SIG in v ? (v as Record<string, unknown>).value : v;
}

const list = (v: unknown): string => (Array.isArray(v) ? v.join(", ") : String(v ?? ""));

/** The inputs an operator reviews, per resource type; everything else stays out of the summary. */
const DETAILS: Record<string, (i: Inputs) => string> = {
  "digitalocean:index/droplet:Droplet": (i) => `${i.size} ${i.region} ${describeImage(String(i.image))} tags ${list(i.tags)}`,
  "digitalocean:index/volume:Volume": (i) => `${i.size} GiB ${i.initialFilesystemType} label ${i.initialFilesystemLabel}`,
  "digitalocean:index/vpc:Vpc": (i) => `${i.region}${i.ipRange ? ` ${i.ipRange}` : ""}`,
  "digitalocean:index/firewall:Firewall": (i) => {
    const rules = (i.inboundRules as Array<{ protocol: string; portRange: string; sourceAddresses: unknown[] }> | undefined) ?? [];
    const inbound = rules.map((r) => `${r.portRange}/${r.protocol} from ${list(r.sourceAddresses)}`).join("; ");
    const out = ((i.outboundRules as Array<{ protocol: string; portRange?: string; destinationAddresses: unknown[] }> | undefined) ?? [])
      .map((r) => `${r.portRange ?? "all"}/${r.protocol} to ${list(r.destinationAddresses)}`).join("; ");
    return `${(i.dropletIds as unknown[] | undefined)?.length ?? 0} droplet(s); in: ${inbound || "none"}${out ? `; out: ${out}` : ""}`;
  },
  "digitalocean:index/monitorAlert:MonitorAlert": (i) => `${i.description}`,
  "digitalocean:index/uptimeCheck:UptimeCheck": (i) => `${i.type} ${i.target} from ${list(i.regions)}`,
  "digitalocean:index/uptimeAlert:UptimeAlert": (i) => `${i.name}`,
  "digitalocean:index/project:Project": (i) => `${i.environment}, ${(i.resources as unknown[] | undefined)?.length ?? 0} resources`,
  "command:remote:Command": (i) => {
    const c = unwrapSecret(i.connection) as { user?: string; host?: string } | undefined;
    const what = i.stdin === undefined ? `runs ${String(i.create)}` : "bundle on stdin (secret)";
    return `ssh ${c?.user ?? "?"}@${c?.host ?? "?"}: ${what}, logging ${i.logging}`;
  },
  "digitalocean:index/spacesBucket:SpacesBucket": (i) => {
    type Rule = { id: string; prefix: string; expiration?: { days: number }; noncurrentVersionExpiration?: { days: number }; abortIncompleteMultipartUploadDays?: number };
    const rules = ((i.lifecycleRules as Rule[] | undefined) ?? []).map((r) => {
      const what = r.expiration ? `${r.expiration.days}d` : r.noncurrentVersionExpiration ? `noncurrent ${r.noncurrentVersionExpiration.days}d` : `multipart ${r.abortIncompleteMultipartUploadDays}d`;
      return `${r.prefix || "*"} ${what}`;
    });
    return `${i.region} ${i.acl}${(i.versioning as { enabled?: boolean } | undefined)?.enabled ? " versioned" : ""}; lifecycle: ${rules.join(", ")}`;
  },
  "digitalocean:index/spacesKey:SpacesKey": (i) => `grants ${((i.grants as Array<{ bucket: string; permission: string }> | undefined) ?? []).map((g) => `${g.permission} ${g.bucket}`).join(", ")}`,
  "command:remote:CopyToRemote": (i) => `upload to ${i.remotePath}`,
  "digitalocean:index/dnsRecord:DnsRecord": (i) => `${i.type} ${i.name}.${i.domain} -> ${i.value}`,
};

function flags(r: RecordedResource): string {
  const o = r.options;
  if (o === undefined) return "";
  const out = [
    o.protect ? "protect" : "",
    o.retainOnDelete ? "retainOnDelete" : "",
    o.ignoreChanges.length > 0 ? `ignoreChanges ${o.ignoreChanges.join(",")}` : "",
    o.dependsOn.length > 0 ? `after ${o.dependsOn.join(",")}` : "",
  ];
  return out.filter((x) => x !== "").join(" ");
}

/** Short type name: `digitalocean:index/droplet:Droplet` -> `digitalocean:Droplet`. */
export function shortType(type: string): string {
  const m = /^([^:]+):[^:]*:(.+)$/.exec(type);
  return m ? `${m[1]}:${m[2]}` : type;
}

/** One line per resource, components first, then by type and name (registration order is not stable). */
export function resourceLines(resources: readonly RecordedResource[]): string[] {
  const sorted = [...resources].sort((a, b) =>
    Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const rows = sorted.map((r) => [r.custom ? "+" : "+ component", shortType(r.type), r.name, DETAILS[r.type]?.(r.inputs) ?? "", flags(r)]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => `  ${row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).filter((cell) => cell !== "").join("  ")}`.trimEnd());
}

/** Counts by type, e.g. `4 Droplet, 1 Volume`. */
export function countsByType(resources: readonly RecordedResource[]): string {
  const counts = new Map<string, number>();
  for (const r of resources.filter((x) => x.custom)) counts.set(shortType(r.type).split(":")[1]!, (counts.get(shortType(r.type).split(":")[1]!) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${n} ${t}`).join(", ");
}

export function fileLine(f: PlannedFile): string {
  const vars = f.content.split("\n").filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).length;
  return `${f.host}: ${f.path}  (${f.path.endsWith(".env") ? `${vars} variables, ` : ""}${f.secret ? "secret" : "plain"} output)`;
}

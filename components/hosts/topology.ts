import { DropletSlug } from "@pulumi/digitalocean";
import { didYouMean } from "../config/suggest";
import { hostNameProblem } from "./hostName";

export const ROLES = ["app", "db", "backup", "monitoring"] as const;
export type Role = (typeof ROLES)[number];

export interface DataVolume {
  /** DigitalOcean volume name, e.g. `shithub-data`. */
  readonly name: string;
  readonly sizeGib: number;
}

export interface HostSpec {
  readonly name: string;
  readonly size: string;
  readonly roles: readonly Role[];
  /** Attached and mounted at /data (all of an app host's state: repos, tmp). */
  readonly volume?: DataVolume;
  /** The host's SSH host key (`ssh-ed25519 AAAA...`), pinned once known: steps then refuse any other. */
  readonly hostKey?: string;
}

/** A problem inside a structured key: `path` is relative to the key, e.g. `[1].size`. */
export interface PathProblem {
  readonly path: string;
  readonly message: string;
  /** A value to `pulumi config set --path` at `fixPath` (default `path`); "" when none fits. */
  readonly example: string;
  readonly fixPath?: string;
  /** The fix is to remove the element at `path`. */
  readonly remove?: boolean;
}

const SIZES: readonly string[] = Object.values(DropletSlug);
/** DigitalOcean droplet and volume names: letters, digits, `.` and `-`, at most 64 (volumes: lower case). */
const VOLUME_NAME = /^[a-z]([a-z0-9-]{0,62}[a-z0-9])?$/;
const MAX_VOLUME_GIB = 16384;
const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;
const FIELDS = ["name", "size", "roles", "volume", "hostKey"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkVolume(at: string, raw: unknown, problems: PathProblem[]): DataVolume | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    problems.push({ path: at, message: "must be an object {name, sizeGib}", example: "" });
    return undefined;
  }
  const { name, sizeGib } = raw;
  let ok = true;
  if (typeof name !== "string" || !VOLUME_NAME.test(name)) {
    problems.push({ path: `${at}.name`, message: "must be a volume name: lower-case letters, digits and -", example: "shithub-data" });
    ok = false;
  }
  const size = typeof sizeGib === "string" ? Number(sizeGib) : sizeGib;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > MAX_VOLUME_GIB) {
    problems.push({ path: `${at}.sizeGib`, message: `must be a whole number of GiB between 1 and ${MAX_VOLUME_GIB}`, example: "100" });
    ok = false;
  }
  return ok ? { name: name as string, sizeGib: size as number } : undefined;
}

function checkHost(i: number, raw: unknown, problems: PathProblem[]): HostSpec | undefined {
  const at = `[${i}]`;
  if (!isRecord(raw)) {
    problems.push({ path: at, message: "must be an object {name, size, roles, volume?}", example: "" });
    return undefined;
  }
  const before = problems.length;
  const unknown = Object.keys(raw).filter((k) => !FIELDS.includes(k));
  for (const key of unknown) {
    const hint = didYouMean(key, FIELDS);
    problems.push({ path: `${at}.${key}`, message: `is not a host field${hint ? `; did you mean ${hint}?` : ` (${FIELDS.join(", ")})`}`, example: "", remove: true });
  }
  const { name, size, roles, hostKey } = raw;
  if (hostKey !== undefined && (typeof hostKey !== "string" || !HOST_KEY.test(hostKey))) {
    problems.push({ path: `${at}.hostKey`, message: "must be a public host key as ssh-keyscan prints it, without the host name (e.g. ssh-ed25519 AAAA...)", example: "" });
  }
  const nameProblem = typeof name === "string" ? hostNameProblem(name) : "must be a droplet name";
  if (nameProblem !== undefined) {
    problems.push({ path: `${at}.name`, message: `${nameProblem}, e.g. shithub-app`, example: "shithub-app" });
  }
  if (typeof size !== "string" || !SIZES.includes(size)) {
    const hint = typeof size === "string" ? didYouMean(size, SIZES) : undefined;
    problems.push({
      path: `${at}.size`,
      message: `is not a DigitalOcean droplet size${hint ? `; did you mean ${hint}?` : " (e.g. s-1vcpu-2gb, s-2vcpu-4gb; see `doctl compute size list`)"}`,
      example: hint ?? "s-2vcpu-4gb",
    });
  }
  const roleList = Array.isArray(roles) ? roles : [];
  if (!Array.isArray(roles) || roles.length === 0) {
    problems.push({ path: `${at}.roles`, message: `must be a non-empty list of roles (${ROLES.join(", ")})`, example: '["app"]' });
  }
  roleList.forEach((role, j) => {
    if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
      const hint = typeof role === "string" ? didYouMean(role, ROLES) : undefined;
      problems.push({ path: `${at}.roles[${j}]`, message: `is not a role${hint ? `; did you mean ${hint}?` : ` (${ROLES.join(", ")})`}`, example: hint ?? "app" });
    } else if (roleList.indexOf(role) !== j) {
      problems.push({ path: `${at}.roles[${j}]`, message: `repeats the role ${role}`, example: "", remove: true });
    }
  });
  const volume = checkVolume(`${at}.volume`, raw.volume, problems);
  if (problems.length > before) return undefined;
  return {
    name: name as string,
    size: size as string,
    roles: roleList as Role[],
    ...(volume ? { volume } : {}),
    ...(typeof hostKey === "string" ? { hostKey } : {}),
  };
}

/**
 * The hosts of a stack from `shithubd:hosts`: every problem of every host, then the topology
 * rules (unique names, exactly one db, at least one app, each app host with a data volume).
 */
export function checkTopology(raw: unknown): { hosts?: HostSpec[]; problems: PathProblem[] } {
  const problems: PathProblem[] = [];
  if (!Array.isArray(raw) || raw.length === 0) {
    return { problems: [{ path: "", message: "must be a non-empty list of hosts {name, size, roles, volume?}", example: "" }] };
  }
  const hosts = raw.map((h, i) => checkHost(i, h, problems));
  if (problems.length > 0) return { problems };
  const valid = hosts as HostSpec[];

  const seen = new Map<string, number>();
  valid.forEach((h, i) => {
    const first = seen.get(h.name);
    if (first !== undefined) problems.push({ path: `[${i}].name`, message: `repeats the host name ${h.name} of hosts[${first}]`, example: `${h.name}-${i}` });
    else seen.set(h.name, i);
  });
  const volumes = new Map<string, number>();
  valid.forEach((h, i) => {
    if (h.volume === undefined) return;
    const first = volumes.get(h.volume.name);
    if (first !== undefined) problems.push({ path: `[${i}].volume.name`, message: `repeats the volume name ${h.volume.name} of hosts[${first}]`, example: `${h.volume.name}-${i}` });
    else volumes.set(h.volume.name, i);
  });
  const withRole = (role: Role): number[] => valid.flatMap((h, i) => (h.roles.includes(role) ? [i] : []));
  const dbs = withRole("db");
  if (dbs.length !== 1) {
    const message = `must have exactly one host with the db role (found ${dbs.length}${dbs.length > 1 ? `: ${dbs.map((i) => valid[i]!.name).join(", ")}` : ""})`;
    problems.push(dbs.length === 0
      ? { path: "", message, example: "db", fixPath: `[0].roles[${valid[0]!.roles.length}]` }
      : { path: "", message, example: "", fixPath: `[${dbs[1]}].roles[${valid[dbs[1]!]!.roles.indexOf("db")}]`, remove: true });
  }
  const apps = withRole("app");
  if (apps.length === 0) {
    problems.push({ path: "", message: "must have exactly one host with the app role (found 0)", example: "app", fixPath: `[0].roles[${valid[0]!.roles.length}]` });
  } else if (apps.length > 1) {
    // Each app host would get its own volume, host key and DNS answer: pushes and clones would split between copies.
    const second = apps[1]!;
    problems.push({
      path: "",
      message: `must have exactly one host with the app role (found ${apps.length}: ${apps.map((i) => valid[i]!.name).join(", ")}): the repositories live on the app host's /data ` +
        "volume and shithubd has no shared repository store, so a second app host would hold a second, diverging copy of every repository. " +
        "To scale, give the app host a bigger droplet (its size) and put db, backup and monitoring on hosts of their own",
      example: "",
      // The second host goes, or only its app role when it has others.
      fixPath: valid[second]!.roles.length === 1 ? `[${second}]` : `[${second}].roles[${valid[second]!.roles.indexOf("app")}]`,
      remove: true,
    });
  }
  for (const role of ["backup", "monitoring"] as const) {
    const found = withRole(role);
    if (found.length > 1) {
      const extra = found[1]!;
      problems.push({
        path: "",
        message: `must have at most one ${role} host (found ${found.map((i) => valid[i]!.name).join(", ")})`,
        example: "",
        fixPath: `[${extra}].roles[${valid[extra]!.roles.indexOf(role)}]`,
        remove: true,
      });
    }
  }
  for (const i of apps) {
    if (valid[i]!.volume === undefined) {
      problems.push({ path: `[${i}].volume`, message: "is required on an app host: all state (repos, tmp) lives on the /data volume", example: '{"name":"shithub-data","sizeGib":100}' });
    }
  }
  for (const i of dbs.length === 1 ? dbs : []) {
    if (valid[i]!.volume === undefined && !apps.includes(i)) {
      problems.push({ path: `[${i}].volume`, message: "is required on the db host: PostgreSQL's data lives on the /data volume, which outlives the droplet", example: '{"name":"shithub-db-data","sizeGib":100}' });
    }
  }
  return problems.length > 0 ? { problems } : { hosts: valid, problems };
}

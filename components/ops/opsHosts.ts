/** A host as `npm run ops` reaches it: from the stack's `hosts` output. */
export interface OpsHost {
  readonly name: string;
  readonly roles: readonly string[];
  /** Its public address: where SSH answers (root only from the admin networks). */
  readonly address: string;
  /** The host key every step verifies (authorized_keys format, `ssh-ed25519 AAAA…`). */
  readonly hostKey: string;
}

/** The `hosts` output is not what this command can use: the message says why and what to do. */
export class HostsError extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The hosts of `pulumi stack output hosts --json`, in its order. Every host needs its pinned host
 * key: a stack last updated before the output carried it is refused (its next `up` exports them).
 */
export function parseHostsOutput(stack: string, text: string): OpsHost[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HostsError(`stack ${stack}: the hosts output is not JSON (pulumi stack output hosts --json -s ${stack})`);
  }
  if (!isRecord(data) || Object.keys(data).length === 0) throw new HostsError(`stack ${stack}: the hosts output names no host; has the stack been deployed (pulumi up -s ${stack})?`);
  const unpinned: string[] = [];
  const hosts = Object.entries(data).map(([name, h]): OpsHost => {
    if (!isRecord(h) || typeof h.publicIpv4 !== "string" || !Array.isArray(h.roles)) throw new HostsError(`stack ${stack}: host ${name} in the hosts output has no publicIpv4 or roles`);
    const key = typeof h.hostKey === "string" ? h.hostKey.trim() : "";
    if (!/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(key.split(" ").slice(0, 2).join(" "))) unpinned.push(name);
    return { name, roles: h.roles.filter((r): r is string => typeof r === "string"), address: h.publicIpv4, hostKey: key.split(" ").slice(0, 2).join(" ") };
  });
  if (unpinned.length > 0) {
    throw new HostsError(`stack ${stack}: no pinned host key for ${unpinned.join(", ")} in the hosts output: the stack was last updated before it exported them. ` +
      `Fix: pulumi up -s ${stack} (it changes no host), then run this again`);
  }
  return hosts;
}

/** known_hosts for ssh: each host's address with the key its steps verify, and nothing else. */
export function knownHosts(hosts: readonly OpsHost[]): string {
  return hosts.map((h) => `${h.address} ${h.hostKey}\n`).join("");
}

/** The hosts a verb acts on: --host's (refused when unknown), else those with one of `roles` (every host when none is given). */
export function selectHosts(hosts: readonly OpsHost[], host: string | undefined, roles?: readonly string[]): OpsHost[] {
  if (host !== undefined) {
    const found = hosts.find((h) => h.name === host);
    if (found === undefined) throw new HostsError(`--host ${host}: no such host (known: ${hosts.map((h) => h.name).join(", ")})`);
    if (roles !== undefined && !found.roles.some((r) => roles.includes(r))) throw new HostsError(`--host ${host} has roles ${found.roles.join(", ")}; this needs a host with ${roles.join(" or ")}`);
    return [found];
  }
  const chosen = roles === undefined ? [...hosts] : hosts.filter((h) => h.roles.some((r) => roles.includes(r)));
  if (chosen.length === 0) throw new HostsError(`no host with ${roles?.join(" or ")} in this stack`);
  return chosen;
}

import { hostModules, hostPackages } from "../roles";
import type { RoleOptions } from "../roles";
import { readTemplate, renderTemplate } from "../templates";
import type { Platform } from "./platform";
import type { HostSpec } from "./topology";

/** Where cloud-init keeps a droplet's user data. */
export const USER_DATA_PATH = "/var/lib/cloud/instance/user-data.txt";

/** Filesystem label of every data volume: one per host, so the mount never depends on the volume's name. */
export const DATA_LABEL = "shithub-data";

/** sshd drop-in: keys only, root by key for the deploy connection, nothing forwarded. */
export const SSHD_HARDENING: readonly string[] = [
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PermitRootLogin prohibit-password",
  "PermitEmptyPasswords no",
  "X11Forwarding no",
  "AllowAgentForwarding no",
  "AllowTcpForwarding no",
  // Every kind of forwarding, stream-local sockets included, for every user.
  "DisableForwarding yes",
  "MaxAuthTries 3",
  "LoginGraceTime 30",
];

const template = readTemplate("cloud-init", "user-data.yaml.mustache");
const lines = (text: string) => text.trimEnd().split("\n").map((line) => ({ line }));
const metadataGuard = lines(readTemplate("cloud-init", "shithub-metadata-guard.nft"));
const metadataGuardUnit = lines(readTemplate("cloud-init", "shithub-metadata-guard.service"));
const doAgentMetadata = lines(readTemplate("cloud-init", "do-agent-metadata.conf"));

/**
 * A host's cloud-init user data. It depends on the host's name, roles and volume, the image and the
 * stack's swap size only: never on the release, env values or units, because a change replaces the droplet.
 */
/** The droplet's SSH host key, made before it exists so that every connection to it can be verified. */
export interface HostKeyPair {
  readonly privateKeyOpenssh: string;
  readonly publicKeyOpenssh: string;
}

export function renderUserData(host: HostSpec, swapGib: number, platform: Platform, roles: RoleOptions, hostKey?: HostKeyPair): string {
  return renderTemplate(template, {
    hostKey: hostKey === undefined ? false : {
      privateLines: lines(hostKey.privateKeyOpenssh),
      publicKey: hostKey.publicKeyOpenssh.trim(),
    },
    hostName: host.name,
    roles: host.roles.join(", "),
    packages: hostPackages(host, platform, roles).map((line) => ({ line })),
    swapGib: swapGib > 0 ? String(swapGib) : false,
    sshdConfig: SSHD_HARDENING.map((line) => ({ line })),
    metadataGuard,
    metadataGuardUnit,
    doAgentMetadata,
    volume: host.volume !== undefined,
    // The restore drill's server binaries come from the distribution's server package, which would
    // otherwise create and start a cluster of its own on a host that holds no database.
    noMainCluster: host.roles.includes("backup") && !host.roles.includes("db"),
    app: host.roles.includes("app"),
    bootFiles: hostModules(host, roles).flatMap((m) => m.bootFiles?.() ?? []).map((f) => ({ path: f.path, lines: lines(f.content) })),
  });
}

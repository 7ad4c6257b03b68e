import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderTemplate, TEMPLATES_DIR } from "../templates";
import type { HostSpec, Role } from "./topology";

/** Where cloud-init keeps a droplet's user data. */
export const USER_DATA_PATH = "/var/lib/cloud/instance/user-data.txt";

/** Filesystem label of every data volume: one per host, so the mount never depends on the volume's name. */
export const DATA_LABEL = "shithub-data";

const PACKAGES: Readonly<Record<Role | "all", readonly string[]>> = {
  all: ["unattended-upgrades", "fail2ban", "ca-certificates", "curl"],
  app: ["git", "caddy"],
  db: ["postgresql"],
  backup: ["postgresql-client", "rclone"],
  monitoring: ["wireguard"],
};

/** sshd drop-in: keys only, root by key for the deploy connection, nothing forwarded. */
export const SSHD_HARDENING: readonly string[] = [
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PermitRootLogin prohibit-password",
  "PermitEmptyPasswords no",
  "X11Forwarding no",
  "AllowAgentForwarding no",
  "AllowTcpForwarding no",
  "MaxAuthTries 3",
  "LoginGraceTime 30",
];

export function packagesFor(roles: readonly Role[]): string[] {
  return [...new Set([...PACKAGES.all, ...roles.flatMap((r) => PACKAGES[r])])].sort();
}

const template = readFileSync(join(TEMPLATES_DIR, "cloud-init", "user-data.yaml.mustache"), "utf8");

/**
 * A host's cloud-init user data. It depends on the host's name and roles and the stack's swap
 * size only: never on the release, env values or units, because a change replaces the droplet.
 */
export function renderUserData(host: HostSpec, swapGib: number): string {
  return renderTemplate(template, {
    hostName: host.name,
    roles: host.roles.join(", "),
    packages: packagesFor(host.roles).map((line) => ({ line })),
    swapGib: swapGib > 0 ? String(swapGib) : false,
    sshdConfig: SSHD_HARDENING.map((line) => ({ line })),
    app: host.roles.includes("app"),
  });
}

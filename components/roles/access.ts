import { readTemplate, renderTemplate } from "../templates";
import type { RoleModule } from "./role";

/**
 * Root's authorized_keys on every host, managed rather than left as the droplet was born with:
 * the stack's own deploy key (the public half of shithubd:sshPrivateKey) and the operators' keys
 * of shithubd:authorizedKeys, each usable only from the admin networks. A key removed from the
 * stack is removed from the hosts by the next `up`, which is how a deploy key is rotated.
 */
export const access: RoleModule = {
  id: "access",
  summary: "root's SSH keys: the stack's deploy key and shithubd:authorizedKeys, from adminCidrs only; fail2ban never bans adminCidrs",
  packages: () => [],
  openings: [],
  files: () => [
    { name: "authorized_keys", path: "/root/.ssh/authorized_keys", mode: "0600", owner: "root:root" },
    { name: "fail2ban-admins.conf", path: "/etc/fail2ban/jail.d/60-shithub-admins.conf", mode: "0644", owner: "root:root" },
  ],
  step: { name: "access-setup", after: [] },
};

export interface AccessKeys {
  readonly stack: string;
  /** The deploy key's public half; undefined in an offline plan whose private key is not set. */
  readonly deployKey: string | undefined;
  readonly authorizedKeys: readonly string[];
  readonly adminCidrs: readonly string[];
}

export function accessFiles(keys: AccessKeys): Record<string, string> {
  const from = keys.adminCidrs.join(",");
  return {
    authorized_keys: renderTemplate(readTemplate("access", "authorized_keys.mustache"), {
      stack: keys.stack,
      from,
      deployKey: keys.deployKey ?? "<the public key of shithubd:sshPrivateKey>",
      keys: keys.authorizedKeys.map((key) => ({ key })),
    }),
    "fail2ban-admins.conf": renderTemplate(readTemplate("access", "fail2ban-admins.conf.mustache"), { stack: keys.stack, cidrs: keys.adminCidrs.join(" ") }),
  };
}

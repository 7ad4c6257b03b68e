import { readTemplate, renderTemplate } from "../templates";
import type { RoleModule } from "./role";

/**
 * git over SSH on port 22: `git@<domain>` for anyone (each key resolved by shithubd, forced into
 * git-shell), and root only from the admin networks (sshd's AllowUsers), so users need no port.
 */
export const gitSsh: RoleModule = {
  id: "git-ssh",
  summary: "git@<domain> over SSH: git user with git-shell, shithubd resolving keys, root only from adminCidrs",
  packages: () => ["git", "openssh-server"],
  openings: [{ protocol: "tcp", ports: "22", from: "anywhere", why: "git over SSH (sshd admits root only from the admin networks)" }],
  files: () => [
    { name: "shithub-ssh-authkeys", path: "/usr/local/bin/shithub-ssh-authkeys", mode: "0755", owner: "root:root" },
    { name: "git-shell-shithubd", path: "/var/lib/git/git-shell-commands/shithubd", mode: "0755", owner: "root:root" },
    // Last: the sshd drop-in is checked (sshd -t) once the AuthorizedKeysCommand it names is in place.
    { name: "sshd-git.conf", path: "/etc/ssh/sshd_config.d/20-shithub-git.conf", mode: "0644", owner: "root:root" },
  ],
  step: { name: "git-ssh-setup", after: [] },
};

export function gitSshFiles(adminCidrs: readonly string[]): Record<string, string> {
  return {
    "shithub-ssh-authkeys": readTemplate("git-ssh", "shithub-ssh-authkeys"),
    "git-shell-shithubd": readTemplate("git-ssh", "git-shell-shithubd"),
    "sshd-git.conf": renderTemplate(readTemplate("git-ssh", "sshd-git.conf.mustache"), { adminCidrs: adminCidrs.map((cidr) => ({ cidr })) }),
  };
}

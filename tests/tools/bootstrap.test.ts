import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { renderUserData, SSHD_HARDENING } from "../../components/hosts/bootstrap";
import { platformOf } from "../../components/hosts/platform";
import type { HostSpec } from "../../components/hosts/topology";
import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { FOUR_HOSTS, SINGLE_HOST } from "../helpers";

// Rendered user data checked by the real tools (Debian's cloud-init and OpenSSH; .ci/run installs them).
const HOSTS = [...FOUR_HOSTS, ...SINGLE_HOST] as HostSpec[];
const dir = mkdtempSync(join(tmpdir(), "cloud-init-"));
const PLATFORM = platformOf("ubuntu-24-04-x64")!;

// sshd -t needs its privilege separation directory, which only a running sshd creates: a fresh machine lacks it.
beforeAll(() => mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("cloud-init user data, checked by the real tools", () => {
  it.each(HOSTS.map((h) => [h.name, h] as const))("%s passes `cloud-init schema` (Debian's cloud-init)", (_name, host) => {
    const file = write(`${host.name}.yaml`, renderUserData(host, 2, PLATFORM, { gitSsh: true }, ed25519KeyPair(host.name)));
    const run = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toContain(`Valid cloud-config: ${file}`);
    expect(run.status).toBe(0);
  });

  it("the host key in the user data is the pair ssh-keygen reads (the key sshd will serve)", () => {
    const pair = ed25519KeyPair("shithub-app");
    const rendered = parse(renderUserData(FOUR_HOSTS[0] as HostSpec, 2, PLATFORM, { gitSsh: true }, pair)) as { ssh_keys: { ed25519_private: string; ed25519_public: string } };
    const key = write("host_ed25519", rendered.ssh_keys.ed25519_private);
    execFileSync("chmod", ["600", key]);
    expect(execFileSync("ssh-keygen", ["-y", "-f", key], { encoding: "utf8" }).trim()).toBe(rendered.ssh_keys.ed25519_public);
    expect(rendered.ssh_keys.ed25519_public).toBe(pair.publicKeyOpenssh.trim());
  });

  it("`cloud-init schema` does reject a broken config (the check above can fail)", () => {
    const file = write("broken.yaml", "#cloud-config\nusers: 5\npackages: {a: 1}\n");
    expect(spawnSync("cloud-init", ["schema", "--config-file", file]).status).not.toBe(0);
  });

  it("the sshd drop-in is accepted by `sshd -t`, and sshd rejects a bad option", () => {
    const key = join(dir, "hostkey");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const check = (dropIn: string): number | null => {
      const conf = write("sshd_config", `Include ${write("10-shithub.conf", dropIn)}\nHostKey ${key}\n`);
      return spawnSync("/usr/sbin/sshd", ["-t", "-f", conf], { encoding: "utf8" }).status;
    };
    const rendered = parse(renderUserData(SINGLE_HOST[0] as HostSpec, 2, PLATFORM, { gitSsh: true })) as { write_files: Array<{ path: string; content: string }> };
    const dropIn = rendered.write_files.find((f) => f.path === "/etc/ssh/sshd_config.d/10-shithub.conf")!.content;
    expect(dropIn.trim().split("\n")).toEqual(SSHD_HARDENING);
    expect(check(dropIn)).toBe(0);
    expect(check(`${dropIn}NoSuchOption yes\n`)).not.toBe(0);
    // As sshd reads it: no forwarding of any kind, stream-local sockets included.
    const conf = write("sshd_config", `Include ${write("10-shithub.conf", dropIn)}\nHostKey ${key}\n`);
    const effective = execFileSync("/usr/sbin/sshd", ["-T", "-f", conf], { encoding: "utf8" }).split("\n");
    expect(effective).toEqual(expect.arrayContaining(["disableforwarding yes", "allowtcpforwarding no", "allowagentforwarding no", "x11forwarding no"]));
  });

});

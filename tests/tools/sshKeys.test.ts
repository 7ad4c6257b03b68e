import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicKeyOf, publicKeyProblem, sshFingerprint } from "../../components/hosts/sshKeys";
import { accessFiles } from "../../components/roles/access";

// Root's keys as OpenSSH reads them: the deploy key's public half is what ssh-keygen derives from
// the private key, and the authorized_keys the access step installs is one ssh-keygen parses.

const dir = mkdtempSync(join(tmpdir(), "sshkeys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(name: string, ...args: string[]): { privateKey: string; publicKey: string } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", "", "-f", file, ...args]);
  return { privateKey: readFileSync(file, "utf8"), publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
}

describe("the deploy key's public half", () => {
  it.each([
    ["ed25519, OpenSSH format", ["-t", "ed25519"]],
    ["RSA 3072, OpenSSH format", ["-t", "rsa", "-b", "3072"]],
    ["ed25519, PKCS#8 PEM", ["-t", "ed25519", "-m", "PKCS8"]],
    ["RSA 2048, PKCS#1 PEM", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
    ["ECDSA P-256, OpenSSH format", ["-t", "ecdsa", "-b", "256"]],
  ])("%s: is what ssh-keygen -y derives", (name, args) => {
    const { privateKey, publicKey } = keygen(name.replace(/\W+/g, "-"), ...args);
    expect(publicKeyOf(privateKey)).toBe(publicKey);
    expect(publicKeyProblem(publicKey)).toBeUndefined();
    // The fingerprint a downstream stack compares (it refuses to share the key): ssh-keygen -l's.
    const file = join(dir, `${name.replace(/\W+/g, "-")}.pub`);
    expect(sshFingerprint(publicKey)).toBe(execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file], { encoding: "utf8" }).split(" ")[1]);
  });

  it("a passphrase-protected key is refused: the engine has no one to ask", () => {
    const file = join(dir, "locked");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "a passphrase", "-f", file]);
    expect(publicKeyOf(readFileSync(file, "utf8"))).toBeUndefined();
  });

  it("a public key whose data names another type is refused", () => {
    const { publicKey } = keygen("mislabelled", "-t", "ed25519");
    expect(publicKeyProblem(publicKey.replace(/^ssh-ed25519/, "ssh-rsa"))).toBe("is not a ssh-rsa key: its data names ssh-ed25519");
    expect(publicKeyProblem(`no-pty ${publicKey}`)).toMatch(/^must be one OpenSSH public key/);
  });
});

describe("root's authorized_keys as the access step writes it", () => {
  it("ssh-keygen reads every key, with its options, and the deploy key is restricted to the admin networks", () => {
    const deploy = keygen("deploy", "-t", "ed25519");
    const operator = keygen("operator", "-t", "rsa", "-b", "3072");
    const file = join(dir, "authorized_keys");
    writeFileSync(file, accessFiles({ stack: "production", deployKey: publicKeyOf(deploy.privateKey), authorizedKeys: [`${operator.publicKey} ops@laptop`], adminCidrs: ["198.51.100.0/24", "2001:db8::/48"] }).authorized_keys);
    const listed = spawnSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" });
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split("\n").map((l) => l.replace(/^\d+ SHA256:\S+ /, ""))).toEqual([
      "shithub-infra deploy key of production (ED25519)",
      "ops@laptop (RSA)",
    ]);
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("from="));
    expect(lines[0]).toBe(`from="198.51.100.0/24,2001:db8::/48",restrict ${publicKeyOf(deploy.privateKey)} shithub-infra deploy key of production`);
    expect(lines[1]).toBe(`from="198.51.100.0/24,2001:db8::/48" ${operator.publicKey} ops@laptop`);
  });
});

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { minisignKeyProblem } from "../../components/config/minisignKey";

// shithubd:artifactSigningKey as Debian's minisign makes and reads it: a key minisign -G writes
// passes the check, and the release step's verification (minisign -V -P) takes its signature only.
const dir = mkdtempSync(join(tmpdir(), "minisign-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyPair(name: string): { publicKey: string; secretFile: string } {
  const secretFile = join(dir, `${name}.key`);
  execFileSync("minisign", ["-G", "-W", "-f", "-p", join(dir, `${name}.pub`), "-s", secretFile], { stdio: "ignore" });
  return { publicKey: readFileSync(join(dir, `${name}.pub`), "utf8").split("\n")[1]!.trim(), secretFile };
}

describe("a minisign key and signature, as the release step checks them", () => {
  it("a key minisign -G writes is accepted; the release step's command verifies its signature and refuses another key's", () => {
    const publisher = keyPair("publisher");
    const forger = keyPair("forger");
    expect(minisignKeyProblem(publisher.publicKey)).toBeUndefined();
    const binary = join(dir, "shithubd");
    writeFileSync(binary, "#!/bin/sh\necho shithubd\n");
    const verify = () => spawnSync("minisign", ["-V", "-q", "-P", publisher.publicKey, "-m", binary, "-x", `${binary}.minisig`]).status;
    execFileSync("minisign", ["-S", "-s", publisher.secretFile, "-m", binary, "-x", `${binary}.minisig`], { stdio: "ignore" });
    expect(verify()).toBe(0);
    execFileSync("minisign", ["-S", "-s", forger.secretFile, "-m", binary, "-x", `${binary}.minisig`], { stdio: "ignore" });
    expect(verify()).not.toBe(0);
  });
});

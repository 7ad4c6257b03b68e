import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A forge user's SSH key, made with ssh-keygen in `dir`: its file, SHA256 fingerprint and public line. */
export function userKey(dir: string, name: string): { key: string; fingerprint: string; pub: string } {
  const key = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
  const fingerprint = execFileSync("ssh-keygen", ["-lf", `${key}.pub`, "-E", "sha256"], { encoding: "utf8" }).split(" ")[1]!;
  return { key, fingerprint, pub: readFileSync(`${key}.pub`, "utf8").trim() };
}

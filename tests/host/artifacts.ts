import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_IP, RELEASES_HOST, worldCertificate } from "./machine";

/**
 * The release server of the test world: the fake shithubd published as versions (each with its
 * test knobs, see fake-shithubd.py FLAGS), served over HTTPS as https://releases.shithub.test
 * (a certificate from the world's CA) from this host on the public network. See
 * release-server.py for its plain-HTTP downgrade target.
 */
export class ArtifactServer {
  private server: ChildProcess | undefined;
  private readonly sums = new Map<string, string>();

  constructor(private readonly dir: string, private readonly port: number) {}

  /** `shithubd:artifactUrl` for this server. */
  get urlTemplate(): string {
    return `https://${RELEASES_HOST}:${this.port}/{version}/shithubd`;
  }

  /** The same files, reached through a redirect to plain HTTP. */
  get downgradingUrlTemplate(): string {
    return `https://${RELEASES_HOST}:${this.port}/redirect-to-http/{version}/shithubd`;
  }

  /** The publisher's minisign key (made at the first publish, no passphrase): its public half as shithubd:artifactSigningKey takes it. */
  get signingKey(): string {
    return readFileSync(this.keyFile("publisher", "pub"), "utf8").split("\n")[1]!.trim();
  }

  /** A minisign key pair of `who`'s beside the published files (made once, no passphrase). */
  private keyFile(who: string, kind: "pub" | "sec"): string {
    const file = (k: string) => join(this.dir, "..", `minisign-${who}.${k}`);
    if (!existsSync(file("sec"))) {
      // minisign is one of the host tier's tools: cloud.sh installs them (publish may come before the cloud boots).
      execFileSync("bash", [join(__dirname, "cloud.sh"), "tools"], { stdio: "ignore" });
      mkdirSync(join(this.dir, ".."), { recursive: true });
      execFileSync("minisign", ["-G", "-W", "-f", "-p", file("pub"), "-s", file("sec")], { stdio: "ignore" });
    }
    return file(kind);
  }

  /** Signs `version` again, with a key that is not the publisher's: what a swapped binary's signature would be. */
  forgeSignature(version: string): void {
    const file = join(this.dir, version, "shithubd");
    execFileSync("minisign", ["-S", "-s", this.keyFile("forger", "sec"), "-m", file, "-x", `${file}.minisig`], { stdio: "ignore" });
  }

  /** Publishes `version` with `flags`, signed by the publisher's key (shithubd:artifactSigningKey); returns its sha256 (`shithubd:artifactSha256`). */
  publish(version: string, flags: string): string {
    const text = readFileSync(join(__dirname, "fake-shithubd.py"), "utf8").replace("@VERSION@", version).replace("@FLAGS@", flags);
    mkdirSync(join(this.dir, version), { recursive: true });
    const file = join(this.dir, version, "shithubd");
    writeFileSync(file, text);
    execFileSync("minisign", ["-S", "-s", this.keyFile("publisher", "sec"), "-m", file, "-x", `${file}.minisig`], { stdio: "ignore" });
    const sha = createHash("sha256").update(text).digest("hex");
    this.sums.set(version, sha);
    return sha;
  }

  /** The published file of `version`: what a host downloads as shithubd. */
  fileOf(version: string): string {
    if (!this.sums.has(version)) throw new Error(`${version} is not published`);
    return join(this.dir, version, "shithubd");
  }

  sha(version: string): string {
    const sha = this.sums.get(version);
    if (sha === undefined) throw new Error(`${version} is not published`);
    return sha;
  }

  /** Serves once HOST_IP exists (after the cloud's network is up), with a certificate from the world's CA. */
  start(worldCa: { cert: string; key: string }): void {
    mkdirSync(this.dir, { recursive: true });
    const { cert, key } = worldCertificate(worldCa, join(this.dir, ".."), "releases", [RELEASES_HOST]);
    this.server = spawn("python3", [join(__dirname, "release-server.py"), HOST_IP, String(this.port), this.dir, cert, key], { stdio: "ignore" });
    const probe = ["-sf", "-o", "/dev/null", "--cacert", worldCa.cert, "--resolve", `${RELEASES_HOST}:${this.port}:${HOST_IP}`, `https://${RELEASES_HOST}:${this.port}/`];
    for (let i = 0; i < 50 && spawnSync("curl", probe).status !== 0; i++) execFileSync("sleep", ["0.1"]);
  }

  stop(): void {
    this.server?.kill();
  }
}

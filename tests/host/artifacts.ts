import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

  /** Publishes `version` with `flags`; returns its sha256 (`shithubd:artifactSha256`). */
  publish(version: string, flags: string): string {
    const text = readFileSync(join(__dirname, "fake-shithubd.py"), "utf8").replace("@VERSION@", version).replace("@FLAGS@", flags);
    mkdirSync(join(this.dir, version), { recursive: true });
    writeFileSync(join(this.dir, version, "shithubd"), text);
    const sha = createHash("sha256").update(text).digest("hex");
    this.sums.set(version, sha);
    return sha;
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

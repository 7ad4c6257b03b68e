import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_IP } from "./machine";

/**
 * The release server of the test world: the fake shithubd published as versions (each with its
 * test knobs, see fake-shithubd.py FLAGS), served over HTTP from this host on the public network.
 */
export class ArtifactServer {
  private server: ChildProcess | undefined;
  private readonly sums = new Map<string, string>();

  constructor(private readonly dir: string, private readonly port: number) {}

  /** `shithubd:artifactUrl` for this server. */
  get urlTemplate(): string {
    return `http://${HOST_IP}:${this.port}/{version}/shithubd`;
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

  /** Serves once HOST_IP exists (after the cloud's network is up). */
  start(): void {
    mkdirSync(this.dir, { recursive: true });
    this.server = spawn("python3", ["-m", "http.server", String(this.port), "--bind", HOST_IP, "--directory", this.dir], { stdio: "ignore" });
    for (let i = 0; i < 50 && spawnSync("curl", ["-sf", "-o", "/dev/null", `http://${HOST_IP}:${this.port}/`]).status !== 0; i++) execFileSync("sleep", ["0.1"]);
  }

  stop(): void {
    this.server?.kill();
  }
}

import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The ACME CA's name in the test world (public DNS, i.e. the droplets' /etc/hosts, answers with this host). */
export const ACME_HOST = "acme.shithub.test";
const ACME_PORT = 14000;
const MANAGEMENT_PORT = 15000;
const DNS_ADDRESS = "127.0.0.1:8053";

/** What the test world's ACME CA needs of the world: the address it listens on, a certificate for ACME_HOST from the world's CA, and where the forge's domain points. */
export interface AcmeWorld {
  readonly listen: string;
  readonly cert: string;
  readonly key: string;
  /** The address public DNS gives every name Pebble validates (the app droplet's). */
  readonly domainAddress: string;
}

/**
 * The test world's ACME CA in place of Let's Encrypt: Debian's Pebble, which validates each order
 * for real (HTTP-01 on port 80, TLS-ALPN-01 on 443 of the app droplet, through its cloud firewall)
 * and issues from a root of its own, made anew at each start. Its DNS is Debian's
 * pebble-challtestsrv, answering every A query with the app droplet's public address, as public
 * DNS answers for the domain. Caddy reaches its directory over HTTPS with the world CA's
 * certificate, as it reaches Let's Encrypt's with a public one.
 */
export class Pebble {
  private readonly processes: ChildProcess[] = [];

  constructor(private readonly dir: string) {}

  /** The directory URL the stack's shithubd:acmeCaUrl points at. */
  get directoryUrl(): string {
    return `https://${ACME_HOST}:${ACME_PORT}/dir`;
  }

  async start(world: AcmeWorld): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const config = join(this.dir, "pebble.json");
    writeFileSync(config, JSON.stringify({
      pebble: {
        listenAddress: `${world.listen}:${ACME_PORT}`,
        managementListenAddress: `${world.listen}:${MANAGEMENT_PORT}`,
        certificate: world.cert,
        privateKey: world.key,
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }));
    this.processes.push(spawn("pebble-challtestsrv", ["-defaultIPv4", world.domainAddress, "-defaultIPv6", "", "-dns01", DNS_ADDRESS,
      "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:8055"], { stdio: "ignore" }));
    // No random sleeps before validation and no nonces refused on purpose: the same run every time.
    this.processes.push(spawn("pebble", ["-config", config, "-dnsserver", DNS_ADDRESS], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    }));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      if (spawnSync("curl", ["-sf", "-o", "/dev/null", "--max-time", "2", "-k", `https://${world.listen}:${MANAGEMENT_PORT}/roots/0`]).status === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("pebble did not start");
  }

  /** Pebble's issuing root (PEM): a client that trusts only it verifies the edge's chain. */
  root(listen: string, worldCa: string): string {
    const r = spawnSync("curl", ["-sfS", "--max-time", "10", "--cacert", worldCa, "--resolve", `${ACME_HOST}:${MANAGEMENT_PORT}:${listen}`,
      `https://${ACME_HOST}:${MANAGEMENT_PORT}/roots/0`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`pebble's root: ${r.stderr}`);
    return r.stdout;
  }

  stop(): void {
    for (const p of this.processes) p.kill();
  }
}

import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess, StdioOptions } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { SPACES_REGIONS, spacesEndpoint } from "../../components/backups/buckets";
import { renderUserData } from "../../components/hosts/bootstrap";
import { platformOf } from "../../components/hosts/platform";
import type { HostSpec } from "../../components/hosts/topology";
import { BASE_PACKAGES, ROLE_MODULES } from "../../components/roles";
import type { Plan } from "./applyPlan";
import { METADATA_IP, renderCloudFirewall } from "./cloudFirewall";

export { METADATA_IP };

/** A booted droplet of tests/host/cloud.sh, reached over real SSH as root. */
export interface Machine {
  readonly name: string;
  /** Its address on the public network, where this host reaches it. */
  readonly publicIp: string;
  /** Its address on the VPC (the one the plan gave it). */
  readonly privateIp: string;
  /** With `hostKey`, the connection verifies the host's key as a pinned one (StrictHostKeyChecking). */
  /** As root, with the cloud's deploy key unless `privateKey` (a step's own connection key) is given. */
  ssh(command: string, input?: string, hostKey?: string, privateKey?: string): SshResult;
  /** The same, without blocking this process (for load that runs meanwhile). */
  sshAsync(command: string, input?: string, hostKey?: string, privateKey?: string): Promise<SshResult>;
  /** Runs a command that must succeed; returns its trimmed stdout. */
  sh(command: string): string;
}

export interface SshResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A droplet as the plan describes it: the user data it boots from and its place on the VPC. */
export interface DropletSpec {
  readonly name: string;
  readonly userData: string;
  readonly privateIp: string;
  readonly vpcPrefix: number;
  readonly volume: boolean;
}

export interface Cloud {
  readonly machines: readonly Machine[];
  machine(name: string): Machine;
  /** The CA every droplet trusts, as it trusts a public one; radosgw's certificate for Spaces is signed by it. */
  readonly worldCa: { cert: string; key: string };
  readonly key: string;
  /**
   * Destroys droplets and their volumes (halted, disks deleted) and boots new ones in their
   * places (the same addresses) from `userData`: a lost environment's hosts, made again.
   */
  rebuild(names: readonly string[], userData: (name: string) => string): Promise<void>;
  /** A droplet rebooted as DigitalOcean's power cycle does after a clean shutdown: same disk, same volume, its units stopped and started by its own systemd. */
  reboot(name: string): Promise<void>;
  down(): void;
}

export const HOST_IP = "10.213.0.1";
/** The public address of the first droplet (a single-host test's only one). */
export const CONTAINER_IP = "10.213.0.2";
export const IMAGE = "debian-12-x64";
const CLOUD = join(__dirname, "cloud.sh");

/** The test cloud's progress goes to stderr: a benchmark's stdout holds its figures only. */
export const PROGRESS: StdioOptions = ["ignore", 2, 2];
const run = promisify(execFile);

/** Every package a role may install on the image's platform: the local archive cloud-init installs from. */
export function rolePackages(): string[] {
  const platform = platformOf(IMAGE)!;
  // cron: the live forge's jobs are root's crontab (tests/host/legacyBox.ts boots that box here too).
  return [...new Set([...BASE_PACKAGES, ...Object.values(ROLE_MODULES).flatMap((m) => m.packages(platform)), "cron"])].sort();
}

/**
 * The timers that fire at fixed times of day (the 03:17 dump, the 02:47 repositories backup, the
 * base backup, the DR copy): were one to fire while a test asserts, its run would race the test's
 * own. The tiers hold them after every up (holdTimers) and run their services when they mean to.
 */
export const CALENDAR_TIMERS: readonly string[] = ["shithub-backup.timer", "shithub-basebackup.timer", "shithub-repos-backup.timer", "shithub-dr-sync.timer",
  // The weekly drills (issue 25).
  "shithub-dump-drill.timer", "shithub-repos-drill.timer"];

/** Stops the calendar timers a droplet has armed; returns those it held (each was active: the up armed it). */
export function holdTimers(m: Machine): string[] {
  const armed = m.sh(`for t in ${CALENDAR_TIMERS.join(" ")}; do if systemctl is-active --quiet "$t"; then echo "$t"; systemctl stop "$t"; fi; done`);
  return armed === "" ? [] : armed.split("\n");
}

/** Units that failed on a droplet, each with the tail of its journal: empty when none did. */
export function failedUnits(m: Machine): string {
  return m.sh("for u in $(systemctl list-units --failed --no-legend --plain | cut -d' ' -f1); do echo \"== $u\"; journalctl -b -u \"$u\" --no-pager -n 15 -o short-monotonic; done");
}

/**
 * The test stacks' deploy key (shithubd:sshPrivateKey in tests/host/testStack.ts): the droplets are
 * born with its public half in their meta-data, as DigitalOcean's sshKeys would give them, and
 * the access step keeps it in root's authorized_keys.
 */
export const TEST_DEPLOY_KEY = ed25519KeyPair("shithub-infra host tier: the test stacks' deploy key");

/** The test world's release server (tests/host/release-server.py on this host). */
export const RELEASES_HOST = "releases.shithub.test";

/** Spaces' regional endpoints: radosgw on this host, in the test world. */
export const SPACES_HOSTS: readonly string[] = SPACES_REGIONS.map(spacesEndpoint);

function makeWorld(dir: string, names: readonly string[]): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, "ca.key");
  const cert = join(dir, "ca.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
    "-days", "30", "-subj", "/CN=shithub test world CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], { stdio: "ignore" });
  writeFileSync(join(dir, "hosts"), `${HOST_IP} ${[RELEASES_HOST, ...SPACES_HOSTS, ...names].join(" ")}\n`);
  return { cert, key };
}

/** The public address of the i-th droplet booted (spec order). */
export const publicIpOf = (i: number): string => `10.213.0.${2 + i}`;

/**
 * `count` client addresses on this host, each in a /24 of its own (198.18.0.0/15, the benchmarking
 * range): users from many networks, as shithubd's per-network rate limits see them. The droplets
 * reach them through their default route. The bridge's removal takes them away.
 */
export function clientAddresses(count: number): string[] {
  const addresses = Array.from({ length: count }, (_, i) => `198.${18 + (i >> 8)}.${i & 255}.10`);
  const batch = addresses.map((a) => `addr replace ${a}/32 dev shithub-pub`).join("\n");
  execFileSync("ip", ["-batch", "-"], { input: `${batch}\n` });
  return addresses;
}

/** What the stand-in serves: a droplet id, and user data that stands for the secret a droplet's holds. */
export const METADATA_USER_DATA = "#cloud-config\n# stand-in\n";

function serveMetadata(dir: string): ChildProcess {
  // A server left by a test cloud that was killed before its down (its directory gone) would answer 404.
  const taken = spawnSync("ss", ["-Htlnp", "src", `${METADATA_IP}:80`], { encoding: "utf8" }).stdout.trim();
  if (taken !== "") throw new Error(`the metadata service's address ${METADATA_IP}:80 is already served, by a test cloud left behind? ${taken}`);
  mkdirSync(join(dir, "metadata", "v1"), { recursive: true });
  writeFileSync(join(dir, "metadata", "v1", "id"), "1\n");
  writeFileSync(join(dir, "metadata", "v1", "user-data"), METADATA_USER_DATA);
  return spawn("python3", ["-m", "http.server", "80", "--bind", METADATA_IP, "--directory", dir], { stdio: "ignore" });
}

/** A server certificate for `names` from the world's CA, as a public CA would issue it: written to DIR/NAME.{crt,key}. */
export function worldCertificate(ca: { cert: string; key: string }, dir: string, name: string, names: readonly string[]): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-x509",
    "-CA", ca.cert, "-CAkey", ca.key, "-days", "30", "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`], { stdio: "ignore" });
  return { cert, key };
}

/**
 * A file named by its content, written once and whole (a temporary name, then a rename): steps
 * that run at once on one host read it while another would be rewriting it, and a truncated
 * known_hosts or key fails their SSH login.
 */
function contentFile(path: string, content: string): string {
  if (!existsSync(path)) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(temporary, content, { mode: 0o600 });
    renameSync(temporary, path);
  }
  return path;
}

function sshTo(key: string, address: string): Pick<Machine, "ssh" | "sshAsync"> {
  /** A step's own key, in a file ssh reads (0600), next to the cloud's. */
  const keyFile = (privateKey: string | undefined): string => {
    if (privateKey === undefined) return key;
    return contentFile(`${key}.step.${createHash("sha256").update(privateKey).digest("hex").slice(0, 12)}`, privateKey);
  };
  const args = (command: string, hostKey?: string, privateKey?: string) => {
    let trust = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
    if (hostKey !== undefined) {
      const knownHosts = contentFile(`${key}.known_hosts.${createHash("sha256").update(address + hostKey).digest("hex").slice(0, 12)}`, `${address} ${hostKey}\n`);
      trust = ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "HostKeyAlgorithms=ssh-ed25519"];
    }
    return ["-i", keyFile(privateKey), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", ...trust, "-o", "LogLevel=ERROR", `root@${address}`, command];
  };
  return {
    ssh(command, input, hostKey, privateKey) {
      const start = performance.now();
      const r = spawnSync("ssh", args(command, hostKey, privateKey), { input: input ?? "", encoding: "utf8", timeout: 600_000 });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - start };
    },
    sshAsync(command, input, hostKey, privateKey) {
      const start = performance.now();
      const child = spawn("ssh", args(command, hostKey, privateKey), { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdin.end(input ?? "");
      return new Promise((resolve) => child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr, ms: performance.now() - start })));
    },
  };
}

/**
 * Boots one droplet per spec, in parallel, each from its own user data, on the public network
 * (10.213.0.2, .3, ... in spec order) and the VPC (the plan's private address).
 */
export async function bootCloud(work: string, specs: readonly DropletSpec[],
  options: {
    /** Runs while the droplets boot, once the world exists (its CA, the public network). */
    alongside?: (worldCa: { cert: string; key: string }) => Promise<void>;
    /** More names public DNS answers with this host (e.g. buckets, virtual-host style). */
    names?: readonly string[];
    /** The plan whose cloud firewalls the test cloud enforces from the droplets' first boot (cloudFirewall.ts). */
    firewalls?: Pick<Plan, "resources">;
  } = {}): Promise<Cloud> {
  const env = { ...process.env, ROLE_PACKAGES: rolePackages().join(",") };
  execFileSync("bash", [CLOUD, "image"], { stdio: PROGRESS, timeout: 1_200_000, env });
  const worldDir = join(work, "world");
  const worldCa = makeWorld(worldDir, options.names ?? []);
  const key = join(work, "id_ed25519");
  writeFileSync(key, TEST_DEPLOY_KEY.privateKeyOpenssh, { mode: 0o600 });
  writeFileSync(`${key}.pub`, TEST_DEPLOY_KEY.publicKeyOpenssh);
  execFileSync("bash", [CLOUD, "net-up"], { stdio: PROGRESS });
  const metadata = serveMetadata(join(worldDir, "metadata"));
  if (options.firewalls !== undefined) {
    const ruleset = join(work, "cloud-firewall.nft");
    writeFileSync(ruleset, renderCloudFirewall(options.firewalls, specs.map((spec, i) => ({ name: spec.name, publicIp: publicIpOf(i), privateIp: spec.privateIp }))));
    execFileSync("bash", [CLOUD, "firewall", ruleset], { stdio: PROGRESS });
  }
  const machines = specs.map((spec, i): Machine & { dir: string } => {
    const publicIp = publicIpOf(i);
    const { ssh, sshAsync } = sshTo(key, publicIp);
    return {
      name: spec.name, publicIp, privateIp: spec.privateIp, dir: join(work, "droplets", spec.name), ssh, sshAsync,
      sh(command) {
        const r = ssh(command);
        if (r.status !== 0) throw new Error(`${spec.name}: ${command}: exit ${r.status}: ${r.stderr}`);
        return r.stdout.trim();
      },
    };
  });
  // Halts the droplets and deletes their disks: a run leaves nothing on this machine's disk.
  const down = () => {
    for (const m of machines) spawnSync("bash", [CLOUD, "halt", m.dir, m.name], { stdio: PROGRESS });
    // Gone before the next cloud binds the same address: a server left over from the last one
    // (its directory deleted) would answer the next droplets 404.
    metadata.kill("SIGKILL");
    if (metadata.pid !== undefined) spawnSync("sh", ["-c", `for i in $(seq 100); do kill -0 ${metadata.pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1`]);
    spawnSync("bash", [CLOUD, "net-down"], { stdio: PROGRESS });
    for (const m of machines) rmSync(m.dir, { recursive: true, force: true });
  };
  const boot = async (spec: DropletSpec, userData: string): Promise<void> => {
    const m = machines[specs.indexOf(spec)]!;
    mkdirSync(m.dir, { recursive: true });
    writeFileSync(join(m.dir, "user-data"), userData);
    const { stdout } = await run("bash", [CLOUD, "boot", m.dir, spec.name, m.publicIp, `${spec.privateIp}/${spec.vpcPrefix}`, join(m.dir, "user-data"),
      `${key}.pub`, spec.volume ? "1" : "0", worldDir], { env, timeout: 900_000 });
    process.stderr.write(stdout);
  };
  try {
    await Promise.all([options.alongside?.(worldCa), ...specs.map((spec) => boot(spec, spec.userData))]);
  } catch (e) {
    down();
    throw e;
  }
  return {
    machines,
    machine(name) {
      const m = machines.find((x) => x.name === name);
      if (m === undefined) throw new Error(`no droplet ${name}`);
      return m;
    },
    worldCa,
    key,
    async rebuild(names, userData) {
      await Promise.all(names.map(async (name) => {
        const spec = specs.find((s) => s.name === name);
        if (spec === undefined) throw new Error(`no droplet ${name}`);
        const m = machines[specs.indexOf(spec)]!;
        spawnSync("bash", [CLOUD, "halt", m.dir, m.name], { stdio: PROGRESS });
        rmSync(m.dir, { recursive: true, force: true });
        await boot(spec, userData(name));
      }));
    },
    async reboot(name) {
      const spec = specs.find((s) => s.name === name);
      if (spec === undefined) throw new Error(`no droplet ${name}`);
      const m = machines[specs.indexOf(spec)]!;
      const { stdout } = await run("bash", [CLOUD, "reboot", m.dir, m.name, m.publicIp, `${spec.privateIp}/${spec.vpcPrefix}`, spec.volume ? "1" : "0"], { env, timeout: 900_000 });
      process.stderr.write(stdout);
    },
    down,
  };
}

/** A single droplet with every role (the staging shape): the forge and release tests' host and the release benchmark's. */
export const SINGLE_DROPLET: HostSpec = { name: "shithubct", size: "s-2vcpu-4gb", roles: ["app", "db", "backup", "monitoring"], volume: { name: "shithubct-data", sizeGib: 10 } };

/** SINGLE_DROPLET, booted from `userData` (a plan's, with its host key), or else from the user data the program renders for it. */
export async function bootMachine(work: string, userData = renderUserData(SINGLE_DROPLET, 0, platformOf(IMAGE)!, { gitSsh: true }),
  firewalls?: Pick<Plan, "resources">): Promise<{ machine: Machine; cloud: Cloud }> {
  const cloud = await bootCloud(work, [{ name: SINGLE_DROPLET.name, userData, privateIp: "10.30.0.2", vpcPrefix: 24, volume: true }], firewalls === undefined ? {} : { firewalls });
  return { machine: cloud.machine(SINGLE_DROPLET.name), cloud };
}

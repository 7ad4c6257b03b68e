import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describeImage, platformOf } from "../../components/hosts/platform";
import { loadStackFile } from "../../offline/stackFile";
import { parseReleaseReport } from "../../components/release/releaseReport";
import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { instantQuery, viaSsh } from "../../canary/measure";
import type { Transport } from "../../canary/measure";
import type { HostRelease } from "../../components/release/releaseReport";
import { ArtifactServer } from "./artifacts";
import { dropletUserData, orderOf, remoteSteps, Stack } from "./applyPlan";
import type { AppliedStep, Plan } from "./applyPlan";
import { openLoopLoad } from "./load";
import { Browser } from "./browser";
import type { LoadResult } from "./load";
import { bootCloud, clientAddresses, failedUnits, holdTimers, HOST_IP, METADATA_IP, publicIpOf, IMAGE, TEST_DEPLOY_KEY, worldCertificate } from "./machine";
import type { Cloud, Machine } from "./machine";
import { planCommitted, plannedDroplets, TEST_BACKUP_KEY, TEST_BACKUP_RECIPIENTS, TEST_DEPLOYER, worldSubstitutions } from "./testStack";
import { ROW_COUNTS_SQL } from "../../components/recovery/recovery";
import { differences } from "../../components/takeover/takeover";
import type { Substitution } from "./testStack";
import { ACME_HOST, Pebble } from "./acme";
import { bucket, bucketHosts, TestSpaces } from "./spaces";
import { runOps } from "./ops";
import type { OpsRun } from "./ops";

// The converge tier: the production stack's topology (app, db, backup and monitoring droplets)
// booted from the user data the program renders, on a VPC with the plan's private addresses,
// with radosgw answering as Spaces; then `pulumi up` as the engine would run it (the program's
// own remote steps, from its mock-runtime run, only those whose inputs changed) for a fresh
// stack and for each kind of release, each followed by the checks a user would make.

jest.setTimeout(600_000);

const ROOT = join(__dirname, "..", "..");
const PORT = 8096;
const work = mkdtempSync(join(tmpdir(), "shithub-converge-"));
const artifacts = new ArtifactServer(join(work, "artifacts"), PORT);
const spaces = new TestSpaces(work);

const production = loadStackFile(ROOT, "production");
/** The committed stack's own name: the mode it runs in follows from it. */
const STACK = production.stack;
const DOMAIN = production.values["shithubd:domain"]!;
const HOSTS = JSON.parse(production.values["shithubd:hosts"]!) as Array<{ name: string; roles: string[]; volume?: unknown }>;
const nameOf = (role: string) => HOSTS.find((h) => h.roles.includes(role))!.name;
const APP = nameOf("app");
const DB = nameOf("db");
const BACKUP = nameOf("backup");
const MONITORING = nameOf("monitoring");

/** The alert smarthost of the stack file (Postmark's, in production): the test world's mail relay answers for it, beyond the firewalls. */
const SMARTHOST = production.values["shithubd:alertSmtpSmarthost"]!;
const [SMTP_HOST, SMTP_PORT] = [SMARTHOST.slice(0, SMARTHOST.lastIndexOf(":")), SMARTHOST.slice(SMARTHOST.lastIndexOf(":") + 1)];
/** The relay's login (shithubd:alertSmtpUsername and alertSmtpPassword, secrets the world substitutes). */
const SMTP_LOGIN = { username: "converge-postmark-token", password: "converge-postmark-token" };
const mailDir = join(work, "mail");
const pebble = new Pebble(join(work, "pebble"));
/** Pebble's root: the one CA the test's clients trust for the forge's own name. */
const pebbleRoot = join(work, "pebble-root.crt");
let smtpRelay: ChildProcess | undefined;

/** An operator's own key (shithubd:authorizedKeys), as the canary logs in with it. */
const OPERATOR = ed25519KeyPair("shithub-infra converge tier: an operator");
const operatorKey = join(work, "operator");
writeFileSync(operatorKey, OPERATOR.privateKeyOpenssh, { mode: 0o600 });

let cloud: Cloud;
let stack: Stack;
/** The calendar timers each up armed, held on each droplet since (holdTimers). */
const held = new Map<string, string[]>();
const machine = (name: string): Machine => cloud.machine(name);

/**
 * What the test world substitutes in Pulumi.production.yaml, and why: everything else is the
 * committed stack file as it is (its hosts, roles, sizes' names, image, settings). Secrets are
 * substituted too (TEST_SECRETS and the SMTP login, in plan()); the stack keeps its name, so it
 * runs as production does (SHITHUB_ENV=prod, ACME, the production rules). Not in the world:
 * Postmark's API, where production's mail goes; the journey sets the verified address in the
 * database, as the link in that mail would.
 */
const SUBSTITUTIONS: readonly Substitution[] = [
  ...worldSubstitutions({ artifacts, acmeDirectory: () => pebble.directoryUrl }),
  { key: "shithubd:authorizedKeys", value: () => JSON.stringify([`${OPERATOR.publicKeyOpenssh.trim()} operator`]), why: "an operator's key, as the canary logs in with it" },
];

/** The production stack file, with the substitutions above, at `version` (the release under test) and `set` (a scenario's config edit). */
const plan = (version: string, set: Record<string, string> = {}): Promise<Plan> =>
  planCommitted(production, SUBSTITUTIONS, { version, sha256: artifacts.sha(version) }, set, { "shithubd:alertSmtpUsername": SMTP_LOGIN.username, "shithubd:alertSmtpPassword": SMTP_LOGIN.password });

const plannedHosts = (p: Plan) => (p.outputs as { hosts: Record<string, { publicIpv4: string; privateIpv4: string; hostKey: string }> }).hosts;


function curl(url: string, ...extra: string[]) {
  const app = machine(APP).publicIp;
  const r = spawnSync("curl", ["-sS", "--max-time", "20", "--cacert", pebbleRoot, "--resolve", `${DOMAIN}:443:${app}`, ...extra, url], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The users the load comes from: 200 addresses, each in a network of its own, as people reach a
 * forge (shithubd limits anonymous pages per /24: 60 a minute by default). At 100 requests/s each
 * sends one every 2 s, half its allowance: a release that loses none has lost no user's request.
 */
const users = (): string[] => clientAddresses(200);

/** `up` with steady load on https://<domain>/ meanwhile: 2 s of load before the update starts, and the load runs on after it. */
async function upUnderLoad(p: Plan, seconds = 12): Promise<{ steps: AppliedStep[]; load: LoadResult }> {
  const load = openLoopLoad({ url: `https://${DOMAIN}/`, address: machine(APP).publicIp, ratePerSecond: 100, seconds, ca: readFileSync(pebbleRoot), sources: users() });
  await new Promise((r) => setTimeout(r, 2000));
  const steps = await stack.up(p);
  const result = await load;
  console.log(`${names(steps).join(", ")} under load: ${result.sent} requests, ${result.failed} failed ${JSON.stringify(result.kinds)}, ` +
    `${result.staleRetries} sent again on a closed keep-alive connection, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`);
  return { steps, load: result };
}

const names = (steps: readonly AppliedStep[]) => steps.map((s) => s.name);
const failures = (load: LoadResult) => ({ failed: load.failed, kinds: load.kinds });

/** The ssh an operator runs, with their own key (the canary's SHITHUB_SSH). */
const OPERATOR_SSH = ["ssh", "-i", operatorKey, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
/**
 * The monitoring host's Prometheus as an operator reaches it (docs/explanation/monitoring.md, Canary): on its VPC address,
 * each query run as curl on the monitoring host over SSH (sshd forwards no port).
 */
function prometheus(): { url: string; via: Transport } {
  const m = machine(MONITORING);
  return { url: `http://${m.privateIp}:9090`, via: viaSsh(`root@${m.publicIp}`, OPERATOR_SSH) };
}

/** An instant query's samples as `host` -> value, waiting up to a minute for series to arrive (agents push every 15 s). */
async function series(query: string, hosts: readonly string[]): Promise<Record<string, number>> {
  const { url, via } = prometheus();
  let found: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    found = Object.fromEntries((await instantQuery(url, query, Date.now() / 1000, via)).map((s) => [s.metric.host ?? "", Number(s.value[1])]));
    if (hosts.every((h) => h in found)) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return found;
}

// A user of the forge: alice, her key, her repository (made through shithubd's web, then pushed to).
const alice = { key: join(work, "alice"), pub: "" };
const ALICE_PASSWORD = "correct horse battery staple";

/** alice pushes her work tree's trunk over SSH and then a branch named after `what` over HTTPS; both are served back. */
function pushes(work: string, what: string): void {
  const env = { ...process.env, GIT_SSH_COMMAND: gitSsh(), GIT_SSL_CAINFO: pebbleRoot, GIT_TERMINAL_PROMPT: "0" };
  const git = (args: string[]) => spawnSync("git", ["-C", work, "-c", `http.curloptResolve=${DOMAIN}:443:${machine(APP).publicIp}`, ...args], { encoding: "utf8", env });
  const overSsh = git(["push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"]);
  // shithubd's ssh-shell logs its dispatch on stderr, which ssh passes on; nothing else may appear.
  expect(`${overSsh.status} ${overSsh.stderr.replace(/^time=\S+ level=INFO msg="ssh-shell: dispatch" .*\n/m, "")}`).toBe("0 ");
  const overHttps = git(["push", "-q", `https://alice:${encodeURIComponent(ALICE_PASSWORD)}@${DOMAIN}/alice/hello.git`, `trunk:refs/heads/${what}`]);
  expect(`${overHttps.status} ${overHttps.stderr}`).toBe("0 ");
  const head = git(["rev-parse", "trunk"]).stdout.trim();
  const remote = git(["ls-remote", `git@${DOMAIN}:alice/hello.git`]).stdout;
  expect(remote).toContain(`${head}\trefs/heads/trunk`);
  expect(remote).toContain(`${head}\trefs/heads/${what}`);
}
function gitSsh(): string {
  return `ssh -i ${alice.key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostName=${machine(APP).publicIp}`;
}

/** What a user and an operator check after every `up`, from outside the hosts. */
function userChecks(p: Plan, version: string): void {
  const web = curl(`https://${DOMAIN}/`, "-D", "-", "-o", join(work, "page"));
  expect(web.stderr).toBe("");
  expect(web.stdout).toMatch(/^HTTP\/2 200/);
  expect(web.stdout).toMatch(/strict-transport-security: max-age=31536000/i);
  expect(web.stdout).toMatch(/x-content-type-options: nosniff/i);
  expect(readFileSync(join(work, "page"), "utf8")).toContain(`shithubd ${version}`);
  for (const path of ["/healthz", "/readyz"]) expect(curl(`https://${DOMAIN}${path}`, "-o", "/dev/null", "-w", "%{http_code}").stdout).toBe("200");

  const httpsClone = join(work, `https-${version}-${Date.now()}`);
  const h = spawnSync("git", ["-c", `http.curloptResolve=${DOMAIN}:443:${machine(APP).publicIp}`, "clone", "-q", `https://${DOMAIN}/alice/hello.git`, httpsClone],
    { encoding: "utf8", env: { ...process.env, GIT_SSL_CAINFO: pebbleRoot } });
  expect(h.stderr).toBe("");
  expect(readFileSync(join(httpsClone, "README"), "utf8")).toBe("hello from shithub\n");
  const sshClone = join(work, `ssh-${version}-${Date.now()}`);
  const s = spawnSync("git", ["clone", "-q", `git@${DOMAIN}:alice/hello.git`, sshClone], { encoding: "utf8", env: { ...process.env, GIT_SSH_COMMAND: gitSsh() } });
  expect(s.status).toBe(0);
  expect(readFileSync(join(sshClone, "README"), "utf8")).toBe("hello from shithub\n");

  // Postgres: the app host reaches it over the VPC with TLS; a host that is not a client does not; nor does the internet.
  const query = "psql -X -At \"$SHITHUB_DATABASE_URL\" -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'";
  const withWebEnv = (cmd: string) => `set -a; . /etc/shithub/web.env; set +a; ${cmd}`;
  expect(machine(APP).sh(withWebEnv(query))).toBe("t");
  const url = machine(APP).sh(withWebEnv("echo \"$SHITHUB_DATABASE_URL\""));
  // The db host's cloud firewall drops both (pg_hba, which names only the clients, stands behind it: the tools tier reads it with PostgreSQL).
  const elsewhere = machine(MONITORING).ssh(`PGCONNECT_TIMEOUT=3 psql -X -At '${url}' -c 'select 1'`);
  expect(elsewhere.status).not.toBe(0);
  expect(elsewhere.stderr).toContain("timeout expired");
  const outside = spawnSync("psql", ["-X", "-At", `host=${machine(DB).publicIp} port=5432 user=shithub dbname=shithub connect_timeout=3`, "-c", "select 1"], { encoding: "utf8" });
  expect(outside.stderr).toContain("timeout expired");

  // Backups: the daily timer is armed on the backup host, dumps are in the bucket, WAL arrives from the db host.
  // (held since the up armed it: see holdTimers)
  expect(held.get(BACKUP)).toContain("shithub-backup.timer");
  expect(machine(BACKUP).sh("systemctl is-enabled shithub-backup.timer")).toBe("enabled");
  expect(spaces.objects(bucket(p, "backups"), "daily").length).toBeGreaterThan(0);
  const wal = spaces.objects(bucket(p, "wal"), "wal").length;
  machine(DB).sh("runuser -u postgres -- psql -X -q -c 'CREATE TABLE IF NOT EXISTS converge_wal (at timestamptz)' -c 'INSERT INTO converge_wal VALUES (now())' -c 'SELECT pg_switch_wal()' shithub");
  machine(DB).sh(`for i in $(seq 100); do [ "$(runuser -u postgres -- psql -X -At -c 'SELECT last_archived_wal IS NOT NULL AND (last_failed_time IS NULL OR last_archived_time > last_failed_time) AND archived_count > 0 FROM pg_stat_archiver')" = t ] && exit 0; sleep 0.2; done; exit 1`);
  for (let i = 0; i < 50 && spaces.objects(bucket(p, "wal"), "wal").length <= wal; i++) execFileSync("sleep", ["0.2"]);
  expect(spaces.objects(bucket(p, "wal"), "wal").length).toBeGreaterThan(wal);
}

const V1 = "v1.0.0";
const V2 = "v1.1.0";
const V3 = "v1.2.0";
const V4 = "v1.3.0";
let fresh: Plan;

beforeAll(async () => {
  for (const [v, flags] of [[V1, "migrations=1"], [V2, "migrations=2"], [V3, "migrations=3,migration-seconds=8"], [V4, "migrations=3"]] as const) artifacts.publish(v, flags);
  fresh = await plan(V1);
  // The image the droplets boot is the one the stack ships, not a substitution.
  expect(fresh.resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet").map((r) => r.inputs.image)).toEqual(HOSTS.map(() => IMAGE));
  const hosts = plannedHosts(fresh);
  const droplets = plannedDroplets(fresh, production);
  expect(droplets.map((d) => d.name).sort()).toEqual([APP, BACKUP, DB, MONITORING].sort());
  cloud = await bootCloud(work, droplets, {
    names: [...bucketHosts(fresh), SMTP_HOST, ACME_HOST],
    firewalls: fresh,
    // radosgw answers as Spaces (https://<region>.digitaloceanspaces.com) with a certificate from the world's CA.
    alongside: async (ca) => {
      // The ACME CA, its directory behind a certificate from the world's CA; public DNS gives the domain the app host's address.
      const acme = worldCertificate(ca, work, "acme", [ACME_HOST]);
      await pebble.start({ listen: HOST_IP, cert: acme.cert, key: acme.key, domainAddress: publicIpOf(droplets.findIndex((d) => d.name === APP)) });
      // The smarthost, with a certificate for its name from the world's CA, as a public CA would issue it.
      const smtp = worldCertificate(ca, work, "smtp", [SMTP_HOST]);
      mkdirSync(mailDir, { recursive: true });
      smtpRelay = spawn("/usr/bin/python3", [join(__dirname, "smtp-server.py"), HOST_IP, SMTP_PORT, smtp.cert, smtp.key, SMTP_LOGIN.username, SMTP_LOGIN.password, mailDir],
        { stdio: ["ignore", "ignore", "inherit"] });
      await spaces.up(ca);
    },
  });
  artifacts.start(cloud.worldCa);
  await spaces.provide(fresh);
  const byAddress = new Map(Object.entries(hosts).map(([name, h]) => [h.publicIpv4, name]));
  stack = new Stack((step) => machine(byAddress.get(step.host) ?? step.host), () => {
    for (const m of cloud.machines) for (const t of holdTimers(m)) held.set(m.name, [...new Set([...(held.get(m.name) ?? []), t])]);
  });
}, 1_500_000);

afterAll(() => {
  smtpRelay?.kill();
  pebble.stop();
  artifacts.stop();
  cloud?.down();
  spaces.down();
  // The droplets' disks, the bucket store and the clones: several GB a run.
  rmSync(work, { recursive: true, force: true });
});

describe("the production topology, converged from a fresh stack", () => {
  let applied: AppliedStep[] = [];

  it("every droplet booted from its own user data: cloud-init done, no unit failed, only its roles' packages", () => {
    // What the stack ships is what booted: the image's distribution and its PostgreSQL major.
    const shipped = platformOf(IMAGE)!;
    const booted = { distribution: machine(DB).sh(". /etc/os-release && echo \"$NAME $VERSION_ID\""), postgres: Number(machine(DB).sh("pg_lsclusters --no-header | cut -d' ' -f1")) };
    console.log(`Pulumi.production.yaml ships ${describeImage(IMAGE)}; the converge tier booted ${booted.distribution} with PostgreSQL ${booted.postgres}`);
    expect(booted).toEqual({ distribution: `Debian GNU/Linux ${shipped.distribution.replace("Debian ", "")}`, postgres: shipped.postgresMajor });
    for (const m of cloud.machines) {
      expect(`${m.name}: ${m.sh("cloud-init status")}`).toBe(`${m.name}: status: done`);
      expect(`${m.name}: ${failedUnits(m)}`).toBe(`${m.name}: `);
    }
    const installed = (m: string, pkg: string) => machine(m).ssh(`dpkg-query -W -f='\${Status}' ${pkg} | grep -q 'install ok installed'`).status === 0;
    expect([APP, DB, BACKUP, MONITORING].map((m) => [m, installed(m, "caddy"), installed(m, "postgresql"), installed(m, "postgresql-15"), installed(m, "prometheus-alertmanager"), installed(m, "prometheus-node-exporter")]))
      .toEqual([[APP, true, false, false, false, true], [DB, false, true, true, false, true], [BACKUP, false, false, true, false, true], [MONITORING, false, false, false, true, true]]);
    // The backup host has the server binaries for its restore drill, and no cluster of its own.
    expect(machine(BACKUP).sh("pg_lsclusters --no-header")).toBe("");
  });

  it("a fresh `up` runs every remote step, concurrently where the program's dependencies allow, as the engine does", async () => {
    applied = await stack.up(fresh);
    const order = names(applied);
    expect([...order].sort()).toEqual(remoteSteps(fresh).map((s) => s.name).sort());
    const { violations, overlapping } = orderOf(fresh, applied);
    console.log(`fresh up: ${applied.length} steps, ${overlapping} of them ran beside another`);
    expect(violations).toEqual([]);
    expect(overlapping).toBeGreaterThan(1);
    expect(order.indexOf(`${DB}-db-setup`)).toBeLessThan(order.indexOf(`${APP}-release`));
    expect(order.indexOf(`${DB}-db-setup`)).toBeLessThan(order.indexOf(`${BACKUP}-backup-setup`));
    // Caddy's ACME client orders the certificates from Pebble once the edge is set up; Pebble validates through the app host's firewall.
    writeFileSync(pebbleRoot, pebble.root(HOST_IP, cloud.worldCa.cert));
    const served = () => spawnSync("curl", ["-sS", "-o", "/dev/null", "--max-time", "5", "--cacert", pebbleRoot, "--resolve", `${DOMAIN}:443:${machine(APP).publicIp}`,
      "-w", "%{certs}", `https://${DOMAIN}/healthz`], { encoding: "utf8" });
    let edge = served();
    for (const deadline = Date.now() + 120_000; edge.status !== 0 && Date.now() < deadline; edge = served()) await new Promise((r) => setTimeout(r, 1000));
    expect(edge.stderr).toBe("");
    // Issued by Pebble, for the domain: a client that trusts only Pebble's root verified the chain.
    const issuer = execFileSync("openssl", ["x509", "-noout", "-issuer", "-ext", "subjectAltName"], { input: edge.stdout, encoding: "utf8" });
    console.log(`the edge serves a certificate from Pebble: ${issuer.replace(/\s+/g, " ").trim()}`);
    expect(issuer).toMatch(/issuer=.*Pebble/);
    expect(issuer).toContain(`DNS:${DOMAIN}`);
    // The first daily dump, as the timer would take it; then a user signs up, adds a key, creates a repository and pushes to it.
    machine(BACKUP).sh("systemctl start shithub-backup.service");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", alice.key]);
    alice.pub = readFileSync(`${alice.key}.pub`, "utf8").trim();
    const browser = new Browser({ domain: DOMAIN, address: machine(APP).publicIp, ca: pebbleRoot, dir: work, name: "alice" });
    expect(browser.submit("/signup", { username: "alice", email: "alice@shithub.test", password: ALICE_PASSWORD, company: "" }))
      .toMatchObject({ status: 303, location: "/login?notice=signup-pending" });
    // Production mails through Postmark's API, which is not in the test world: the link in that mail would set this.
    machine(DB).sh("runuser -u postgres -- psql -X -q -d shithub -c \"UPDATE users SET email_verified_at = now() WHERE username = 'alice'\"");
    expect(browser.submit("/login", { username: "alice", password: ALICE_PASSWORD })).toMatchObject({ status: 303, location: "/" });
    expect(browser.submit("/settings/keys", { title: "laptop", key: alice.pub })).toMatchObject({ status: 303, location: "/settings/keys" });
    expect(browser.submit("/new", { name: "hello", visibility: "public" })).toMatchObject({ status: 303, location: "/alice/hello" });
    const w = join(work, "alice-work");
    execFileSync("git", ["init", "-q", "-b", "trunk", w]);
    writeFileSync(join(w, "README"), "hello from shithub\n");
    execFileSync("git", ["-C", w, "add", "README"]);
    execFileSync("git", ["-C", w, "-c", "user.name=alice", "-c", "user.email=alice@shithub.test", "commit", "-qm", "first"]);
    pushes(w, "first");
  });

  it("every step verified its droplet's host key, from the first connection on; a pinned key that differs stops a step before anything is sent (security review H2)", () => {
    const steps = remoteSteps(fresh);
    expect(steps.filter((s) => s.hostKey === undefined).map((s) => s.name)).toEqual([]);
    // The droplet serves the very key the stack made for it (cloud-init installed it at first boot).
    const appKey = steps.find((s) => s.name === `${APP}-release`)!.hostKey!;
    expect(execFileSync("ssh-keyscan", ["-t", "ed25519", machine(APP).publicIp], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim())
      .toBe(`${machine(APP).publicIp} ${appKey}`);
    const otherKey = steps.find((s) => s.name === `${DB}-db-setup`)!.hostKey!;
    const r = machine(APP).ssh("touch /root/h2-probe", "", otherKey);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain("Host key verification failed");
    expect(machine(APP).sh("test -e /root/h2-probe && echo ran || echo not-run")).toBe("not-run");
  });

  it("root on every host takes this stack's deploy key only, from the admin network only (security review M4)", () => {
    for (const m of cloud.machines) {
      // The deploy key may run commands only; an operator's key (the canary's) may log in, from the admin network too.
      expect(`${m.name}: ${m.sh("grep '^from=' /root/.ssh/authorized_keys")}`).toBe(`${m.name}: from="${HOST_IP}/32",restrict ${TEST_DEPLOY_KEY.publicKeyOpenssh.trim()} ` +
        `shithub-infra deploy key of ${STACK}\nfrom="${HOST_IP}/32" ${OPERATOR.publicKeyOpenssh.trim()} operator`);
    }
  });

  it("fail2ban on every host never bans the admin networks (security review N14)", () => {
    for (const m of cloud.machines) {
      expect(`${m.name}: ${m.sh("fail2ban-client get sshd ignoreip")}`).toMatch(new RegExp(`^${m.name}: [^]*\\b${HOST_IP.replaceAll(".", "\\.")}(/32)?(\\s|$)`));
    }
  });

  it("the cloud firewalls the program declares hold: each host reaches what its roles need, and nothing it must not", () => {
    // A TCP connection from a host to this host's servers beyond the firewalls (the world's Spaces, releases and mail relay).
    const connects = (from: string, port: string | number) => machine(from).ssh(`timeout 4 bash -c '</dev/tcp/${HOST_IP}/${port}'`).status === 0;
    const probes = {
      spaces: cloud.machines.map((m) => connects(m.name, 443)),
      releasesFromApp: connects(APP, PORT),
      mailFromMonitoring: connects(MONITORING, SMTP_PORT),
      // Forbidden: SMTP from the db host, an arbitrary port from the backup and db hosts, the release server from the monitoring host.
      mailFromDb: connects(DB, SMTP_PORT),
      arbitraryFromBackup: connects(BACKUP, PORT),
      arbitraryFromDb: connects(DB, PORT),
      releasesFromMonitoring: connects(MONITORING, PORT),
    };
    expect(probes).toEqual({
      spaces: cloud.machines.map(() => true), releasesFromApp: true, mailFromMonitoring: true,
      mailFromDb: false, arbitraryFromBackup: false, arbitraryFromDb: false, releasesFromMonitoring: false,
    });
    // DigitalOcean's agent reads the metadata service on every host (the droplets' `monitoring`), and no other service user does.
    for (const m of cloud.machines) {
      expect(`${m.name}: ${m.sh("journalctl -u do-agent --no-pager -o cat -n 1")}`).toBe(`${m.name}: metadata: reached`);
      expect(`${m.name}: ${m.ssh(`runuser -u nobody -- curl -sS --max-time 3 http://${METADATA_IP}/metadata/v1/id`).status}`).toBe(`${m.name}: 28`);
    }
  });

  it("a user checks it: HTTPS, git over HTTPS and SSH, Postgres only from its hosts, dumps and WAL in the buckets", () => {
    userChecks(fresh, V1);
  });

  it("the monitoring host's Prometheus holds every host's metrics, pushed by their agents: data for each alert and canary signal", async () => {
    const all = [APP, DB, BACKUP, MONITORING];
    // Every host pushes (or, the monitoring host, scrapes) its node exporter, labelled with the stack.
    expect(await series(`up{job="node", env="${STACK}"} == 1`, all)).toEqual(Object.fromEntries(all.map((h) => [h, 1])));
    // From the test double's /metrics on the app host (the requests the user checks made), Caddy's, the worker's unit.
    expect(await series('up{job=~"shithubd|caddy"} == 1', [APP])).toEqual({ [APP]: 1 });
    expect((await series(`sum by (host) (shithub_http_requests_total{env="${STACK}"})`, [APP]))[APP]).toBeGreaterThan(0);
    expect(await series(`count by (host) (shithub_http_request_duration_seconds_bucket{env="${STACK}"}) > 0`, [APP])).toHaveProperty(APP);
    expect(await series('node_systemd_unit_state{name="shithubd-worker.service", state="active"}', [APP])).toEqual({ [APP]: 1 });
    expect(await series("shithub_db_pool_total", [APP])).toHaveProperty(APP);
    // From the db host's Postgres exporter: the database answers, commits, archives.
    const pgUp = await series("pg_up == 1", [DB]);
    if (!(DB in pgUp)) console.log(machine(DB).sh("journalctl -u prometheus-postgres-exporter --no-pager | tail -n 20"));
    expect(pgUp).toEqual({ [DB]: 1 });
    expect((await series('pg_stat_database_xact_commit{datname="shithub"}', [DB]))[DB]).toBeGreaterThan(0);
    expect(await series("pg_stat_archiver_last_archive_age", [DB])).toHaveProperty(DB);
    // From shithub-node-metrics: the release, the journal's error lines, the certificate the edge serves.
    const released = parseReleaseReport(applied.find((s) => s.name === `${APP}-release`)!.stdout)!;
    expect(await series(`shithub_release_timestamp_seconds{version="${V1}"}`, [APP])).toEqual({ [APP]: Date.parse(released.releasedAt) / 1000 });
    expect(await series('shithub_log_error_lines_total{unit="shithubd-web.service"}', [APP])).toHaveProperty(APP);
    // The certificate's dates, as a client on the internet gets them from the edge.
    const served = execFileSync("bash", ["-c", `openssl s_client -connect ${machine(APP).publicIp}:443 -servername ${DOMAIN} </dev/null 2>/dev/null | openssl x509 -noout -startdate -enddate`], { encoding: "utf8" });
    const seconds = (field: string) => Date.parse(new RegExp(`^${field}=(.*)$`, "m").exec(served)![1]!) / 1000;
    expect(await series("shithub_tls_certificate_expiry_seconds", [APP])).toEqual({ [APP]: seconds("notAfter") });
    expect(await series("shithub_tls_certificate_not_before_seconds", [APP])).toEqual({ [APP]: seconds("notBefore") });
    // The rules are loaded and Alertmanager answers beside Prometheus.
    const { url, via } = prometheus();
    const rules = JSON.parse((await via(new URL(`${url}/api/v1/rules`))).body) as { data: { groups: Array<{ name: string }> } };
    expect(rules.data.groups.map((g) => g.name).sort()).toEqual(["shithub-availability", "shithub-backups", "shithub-drift", "shithub-hosts", "shithub-http"]);
    expect(machine(MONITORING).sh("curl -sf http://127.0.0.1:9093/-/ready")).toContain("OK");
    // Prometheus listens on the VPC for the agents, and no host but those is let in (the cloud firewall's rule is the stack tier's).
    expect(machine(MONITORING).sh("ss -Htln 'sport = :9090' | awk '{print $4}'")).toBe(`${machine(MONITORING).privateIp}:9090`);
    // The agents got in with the environment's login; a process on a host without it gets nothing, push or query.
    const asStranger = (method: string, path: string) =>
      machine(APP).sh(`runuser -u nobody -- curl -s -o /dev/null -w '%{http_code}' -X ${method} http://${machine(MONITORING).privateIp}:9090${path}`);
    expect([asStranger("GET", "/api/v1/query?query=up"), asStranger("POST", "/api/v1/write")]).toEqual(["401", "401"]);
  });

  it("shithubd's /metrics on the web host reports the backups' age, read from the buckets (shithub_backup_last_success_seconds)", () => {
    // The DR copy runs on the monitoring host, the one host with no key to a primary's writes.
    machine(MONITORING).sh("systemctl start shithub-dr-sync.service");
    // What the timer does every 10 minutes, as shithub with the read-only observer key.
    machine(APP).sh("systemctl start shithub-backup-heartbeat.service");
    const metric = machine(APP).sh("curl -sf http://127.0.0.1:8080/metrics | grep '^shithub_backup_last_success_seconds'");
    const value = (job: string) => Number(new RegExp(`^shithub_backup_last_success_seconds\\{job="${job}"\\} (\\S+)$`, "m").exec(metric)?.[1]);
    expect(value("daily")).toBe(spaces.newestObject(bucket(fresh, "backups"), "daily"));
    expect(value("spaces-sync")).toBe(spaces.newestObject(bucket(fresh, "backups-dr"), "daily"));
    expect(machine(APP).sh("stat -c '%U %a' /var/lib/shithub/backup-last-success")).toBe("shithub 644");
  });

  it("the repositories: a restic snapshot from the app host, restored by the drill with git fsck clean and refs as recorded", () => {
    machine(APP).sh("systemctl start shithub-repos-backup.service");
    expect(spaces.objects(bucket(fresh, "repos"), "snapshots").length).toBeGreaterThan(0);
    const r = machine(APP).ssh("/usr/local/bin/shithub-repos-drill");
    expect(r.stderr).toMatch(/shithub-repos-drill: status=ok snapshot=latest repositories=1 fsck=clean refs=as-recorded/);
    expect(r.status).toBe(0);
    machine(MONITORING).sh("systemctl start shithub-dr-sync.service");
    expect(spaces.objects(bucket(fresh, "repos-dr"), "snapshots")).toEqual(spaces.objects(bucket(fresh, "repos"), "snapshots"));
  });

  describe("what each host's own keys cannot destroy, asked of radosgw (docs/explanation/backups.md)", () => {
    /** "refused by radosgw" when the command failed on an S3 AccessDenied; else what happened, to read in the diff. */
    const denied = (host: string, command: string): string => {
      const r = machine(host).ssh(`${command} 2>&1`);
      const out = r.stdout + r.stderr;
      return r.status !== 0 && /AccessDenied/.test(out) ? "refused by radosgw" : `exit ${r.status}: ${out.slice(-400)}`;
    };
    const REFUSED = "refused by radosgw";
    /** The host's key against a bucket of the DR region: the same key, that region's endpoint. */
    const inDr = (id: string) => {
      const region = String(fresh.resources.find((r) => r.type === "digitalocean:index/spacesBucket:SpacesBucket" && r.inputs.name === bucket(fresh, id))!.inputs.region);
      return `--s3-endpoint ${region}.digitaloceanspaces.com`;
    };
    const newest = (id: string, prefix: string) => spaces.objects(bucket(fresh, id), prefix).sort().pop()!;
    const versions = (id: string) => (JSON.parse(spaces.rclone("lsjson", "--recursive", "--files-only", "--s3-versions", "--s3-no-check-bucket", `s:${bucket(fresh, id)}`)) as unknown[]).length;

    it("the backup host (dump key): no dump deleted, no WAL or repository reached", () => {
      const rc = "rclone --config /etc/shithub-backup/rclone.conf --retries 1 --low-level-retries 1 --s3-no-check-bucket";
      expect(denied(BACKUP, `${rc} deletefile spaces:${bucket(fresh, "backups")}/daily/${newest("backups", "daily")}`)).toEqual(REFUSED);
      expect(denied(BACKUP, `${rc} lsf spaces:${bucket(fresh, "wal")}`)).toEqual(REFUSED);
      expect(denied(BACKUP, `${rc} lsf spaces:${bucket(fresh, "repos")}`)).toEqual(REFUSED);
      expect(denied(BACKUP, `${rc} ${inDr("backups-dr")} lsf spaces:${bucket(fresh, "backups-dr")}`)).toEqual(REFUSED);
    });

    it("the db host (WAL key): no WAL segment or base backup deleted, no dump reached", () => {
      const rc = "rclone --config /etc/shithub-backup/wal-rclone.conf --retries 1 --low-level-retries 1 --s3-no-check-bucket";
      expect(denied(DB, `${rc} deletefile spaces-wal:${bucket(fresh, "wal")}/wal/${newest("wal", "wal")}`)).toEqual(REFUSED);
      expect(denied(DB, `${rc} lsf spaces-wal:${bucket(fresh, "backups")}`)).toEqual(REFUSED);
      expect(denied(DB, `${rc} ${inDr("wal-dr")} lsf spaces-wal:${bucket(fresh, "wal-dr")}`)).toEqual(REFUSED);
    });

    it("the app host (repository key): restic may prune, but no version of the repository's objects goes; no dump reached", () => {
      const before = versions("repos");
      expect(before).toBeGreaterThan(spaces.objects(bucket(fresh, "repos")).length); // restic's lock files left noncurrent versions
      const rc = "set -a; . /etc/shithub-repos-backup/restic.env; set +a; RCLONE_CONFIG_R_TYPE=s3 RCLONE_CONFIG_R_PROVIDER=DigitalOcean " +
        "RCLONE_CONFIG_R_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_R_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY " +
        `RCLONE_CONFIG_R_ENDPOINT=nyc3.digitaloceanspaces.com rclone --retries 1 --low-level-retries 1 --s3-no-check-bucket`;
      expect(denied(APP, `${rc} backend cleanup-hidden r:${bucket(fresh, "repos")}`)).toEqual(REFUSED);
      expect(versions("repos")).toBe(before);
      expect(denied(APP, `${rc} lsf r:${bucket(fresh, "backups")}`)).toEqual(REFUSED);
      expect(denied(APP, `${rc} ${inDr("repos-dr")} lsf r:${bucket(fresh, "repos-dr")}`)).toEqual(REFUSED);
    });

    it("the app host (shithubd's key): it deletes an object as a user would, never a version; no DR copy reached", () => {
      const before = versions("objects");
      expect(before).toBeGreaterThan(0); // each release's storage check left a deleted object's versions
      const rc = "set -a; . /etc/shithub/web.env; set +a; RCLONE_CONFIG_O_TYPE=s3 RCLONE_CONFIG_O_PROVIDER=DigitalOcean " +
        "RCLONE_CONFIG_O_ACCESS_KEY_ID=$SHITHUB_STORAGE__S3__ACCESS_KEY_ID RCLONE_CONFIG_O_SECRET_ACCESS_KEY=$SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY " +
        "RCLONE_CONFIG_O_ENDPOINT=$SHITHUB_STORAGE__S3__ENDPOINT rclone --retries 1 --low-level-retries 1 --s3-no-check-bucket";
      expect(denied(APP, `${rc} backend cleanup-hidden o:${bucket(fresh, "objects")}`)).toEqual(REFUSED);
      expect(versions("objects")).toBe(before);
      expect(denied(APP, `${rc} ${inDr("objects-dr")} lsf o:${bucket(fresh, "objects-dr")}`)).toEqual(REFUSED);
    });

    it("the monitoring host (DR key): nothing in a DR copy deleted; and the owner's full-access key deletes no backup either", () => {
      const rc = "rclone --config /etc/shithub-dr/rclone.conf --retries 1 --low-level-retries 1 --s3-no-check-bucket";
      expect(denied(MONITORING, `${rc} deletefile dr:${bucket(fresh, "backups-dr")}/daily/${newest("backups-dr", "daily")}`)).toEqual(REFUSED);
      expect(denied(MONITORING, `${rc} purge dr:${bucket(fresh, "wal-dr")}/wal`)).toEqual(REFUSED);
      const owner = spaces.rcloneResult("--retries", "1", "--low-level-retries", "1", "--s3-no-check-bucket", "deletefile", `s:${bucket(fresh, "backups")}/daily/${newest("backups", "daily")}`);
      expect(owner.status).not.toBe(0);
      expect(owner.stderr).toContain("AccessDenied");
    });
  });

  it("the same `up` again changes nothing", () => {
    expect(stack.changed(fresh)).toEqual([]);
  });
});

describe("releases under steady load (100 requests/s through the edge)", () => {
  let bumpReport: HostRelease | undefined;
  it("a version bump: only the release step runs, the migration runs once, no request fails", async () => {
    const { steps, load } = await upUnderLoad(await plan(V2));
    expect(names(steps)).toEqual([`${APP}-release`, `${APP}-audit`]);
    expect(steps[0]!.stderr).toContain(`released (previous: ${V1}); restarted: web worker`);
    // What the stack exports for a downstream promotion gate: the host's own report of the switch.
    bumpReport = parseReleaseReport(steps[0]!.stdout);
    expect(bumpReport?.version).toBe(V2);
    expect(failures(load)).toEqual({ failed: 0, kinds: {} });
    console.log(`version bump: release step ${steps[0]!.ms} ms`);
    expect(machine(DB).sh("runuser -u postgres -- psql -X -At -d shithub -c 'SELECT max(version_id) FROM goose_db_version'")).toBe("2");
    userChecks(await plan(V2), V2);
    // Pushes run shithubd's hooks: after the release they run the release now installed.
    const w = join(work, "alice-work");
    writeFileSync(join(w, "NEWS"), `${V2}\n`);
    execFileSync("git", ["-C", w, "add", "NEWS"]);
    execFileSync("git", ["-C", w, "-c", "user.name=alice", "-c", "user.email=alice@shithub.test", "commit", "-qm", `after ${V2}`]);
    pushes(w, "after-v2");
    expect(machine(DB).sh("runuser -u postgres -- psql -X -At -d shithub -c \"SELECT string_agg(protocol, ' ' ORDER BY id) FROM push_events\"")).toBe("ssh http ssh http");
  });

  it("an env var added by a stack config edit: web restarts with it, no request fails", async () => {
    const set = { "shithubd:SHITHUB_RATELIMIT__API__ANON_PER_HOUR": "120" };
    const { steps, load } = await upUnderLoad(await plan(V2, set));
    expect(names(steps)).toEqual([`${APP}-release`, `${APP}-audit`]);
    expect(failures(load)).toEqual({ failed: 0, kinds: {} });
    // A restart for an env change is not a new version: the soak a promotion gate counts goes on.
    expect(parseReleaseReport(steps[0]!.stdout)).toEqual(bumpReport);
    const pid = machine(APP).sh("systemctl show -p MainPID --value shithubd-web.service");
    expect(machine(APP).sh(`tr '\\0' '\\n' < /proc/${pid}/environ | grep ^SHITHUB_RATELIMIT__API__ANON_PER_HOUR=`)).toBe("SHITHUB_RATELIMIT__API__ANON_PER_HOUR=120");
    userChecks(await plan(V2, set), V2);
  });

  it("a major schema change: the pre-deploy backup lands first; a migration longer than the edge's wait answers 503 with Retry-After, never 502", async () => {
    const set = { "shithubd:SHITHUB_RATELIMIT__API__ANON_PER_HOUR": "120", "shithubd:majorSchemaChange": "true", "shithubd:edgeWaitSeconds": "5" };
    const p = await plan(V3, set);
    const { steps, load } = await upUnderLoad(p, 20);
    const order = names(steps);
    expect(order.indexOf(`${BACKUP}-pre-release-backup`)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(`${BACKUP}-pre-release-backup`)).toBeLessThan(order.indexOf(`${APP}-release`));
    expect(spaces.objects(bucket(p, "backups"), `pre-release/${V3}`)).toHaveLength(1);
    // The 8 s migration outlasts the 5 s wait: the requests that waited longest get the maintenance page.
    expect(Object.keys(load.kinds)).toEqual(["503 Retry-After"]);
    expect(machine(DB).sh("runuser -u postgres -- psql -X -At -d shithub -c 'SELECT max(version_id) FROM goose_db_version'")).toBe("3");
    userChecks(p, V3);
  });

  it("a rollback to the previous version (the old binary on the new schema): no download, no migration, no request fails", async () => {
    const set = { "shithubd:SHITHUB_RATELIMIT__API__ANON_PER_HOUR": "120" };
    const p = await plan(V2, set);
    const { steps, load } = await upUnderLoad(p);
    expect(names(steps)).toContain(`${APP}-release`);
    expect(steps.find((s) => s.name === `${APP}-release`)!.stderr).toContain(`released (previous: ${V3}); restarted: web worker`);
    expect(failures(load)).toEqual({ failed: 0, kinds: {} });
    expect(machine(DB).sh("runuser -u postgres -- psql -X -At -d shithub -c 'SELECT max(version_id) FROM goose_db_version'")).toBe("3");
    userChecks(p, V2);
  });

  it("the canary judges the next release from the monitoring host's Prometheus: npm run canary prints every signal's verdict", async () => {
    const set = { "shithubd:SHITHUB_RATELIMIT__API__ANON_PER_HOUR": "120" };
    // Light traffic throughout: a minute before the release, the release, a minute after it.
    const load = openLoopLoad({ url: `https://${DOMAIN}/`, address: machine(APP).publicIp, ratePerSecond: 10, seconds: 150, ca: readFileSync(pebbleRoot), sources: users() });
    await new Promise((r) => setTimeout(r, 65_000));
    const steps = await stack.up(await plan(V4, set));
    expect(names(steps)).toEqual([`${APP}-release`, `${APP}-audit`]);
    const result = await load;
    expect(failures(result)).toEqual({ failed: 0, kinds: {} });
    const m = machine(MONITORING);
    const canary = spawnSync("npx", ["ts-node", "--swc", "scripts/canary.ts", "--stack", STACK, "--prometheus", `http://${m.privateIp}:9090`, "--via", `root@${m.publicIp}`, "--window", "1"],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, SHITHUB_SSH: OPERATOR_SSH.join(" ") } });
    console.log(canary.stdout + canary.stderr);
    expect(canary.stdout).toMatch(new RegExp(`^Canary of ${STACK}: shithubd ${V4.replaceAll(".", "\\.")}, released `));
    for (const signal of ["requests", "p95 /", "DB calls per request", "web ready (scrapes answered)", "log lines panic|ERROR", "panics"]) {
      expect(canary.stdout).toMatch(new RegExp(`^${signal.replace(/[|()]/g, "\\$&")} .*(PASS|NO DATA)$`, "m"));
    }
    expect(canary.stdout).toMatch(/^verdict: PASS$/m);
    expect(canary.status).toBe(0);
  });
});

describe("day-2 operations: npm run ops against the converged production topology (docs/runbooks/day-2-operations.md)", () => {
  const ops = (args: readonly string[], passed?: readonly string[]): OpsRun =>
    runOps({ stack: STACK, plan: fresh, addressOf: (h) => machine(h).publicIp, dir: work }, args, passed);
  type StatusJson = { needsAPerson: boolean; hosts: Array<{ host: string; error?: string; release?: { version: string }; maintenance?: { on: boolean; message?: string };
    units: Array<{ name: string; active: string }>; drift?: { changed: number; missing: number; extra: number } | "unrecorded"; alerts?: unknown; needsAPerson: string[] }> };
  const statusJson = (): { code: number | null; s: StatusJson } => {
    const r = ops(["status", "--json"]);
    return { code: r.status, s: JSON.parse(r.stdout) as StatusJson };
  };

  it("status: every host answers with its roles, units, release, maintenance off, no drift; the monitoring host with the firing alerts; exit 1 exactly when something needs a person", () => {
    const text = ops(["status"]);
    for (const h of HOSTS) expect(text.stdout).toContain(`${h.name} (${h.roles.join(", ")})`);
    const { code, s } = statusJson();
    expect(s.hosts.map((h) => [h.host, h.error])).toEqual(HOSTS.map((h) => [h.name, undefined]));
    const app = s.hosts.find((h) => h.host === APP)!;
    expect(app.release?.version).toBe(V4);
    expect(app.maintenance).toEqual({ on: false });
    expect(app.units.filter((u) => ["shithubd-web.service", "shithubd-worker.service"].includes(u.name)).map((u) => u.active)).toEqual(["active", "active"]);
    for (const h of s.hosts) expect(`${h.host}: ${JSON.stringify(h.drift)}`).toBe(`${h.host}: ${JSON.stringify({ changed: 0, missing: 0, extra: 0 })}`);
    expect(Array.isArray(s.hosts.find((h) => h.host === MONITORING)!.alerts)).toBe(true);
    expect(s.needsAPerson).toBe(s.hosts.some((h) => h.needsAPerson.length > 0));
    expect(code).toBe(s.needsAPerson ? 1 : 0);
  });

  it("drift: none after the ups; then a hand-edited sshd drop-in and a deleted unit are found, by npm run ops and by the timer's check for the metrics; put back, none again", () => {
    const clean = ops(["drift"]);
    expect(clean.stdout).toMatch(/^no drift$/m);
    expect(clean.status).toBe(0);
    const dropIn = "/etc/ssh/sshd_config.d/20-shithub-git.conf";
    const unit = "/etc/systemd/system/shithub-backup.timer";
    const savedDropIn = machine(APP).sh(`base64 -w0 ${dropIn}`);
    const savedUnit = machine(BACKUP).sh(`base64 -w0 ${unit}`);
    machine(APP).sh(`echo '# MaxAuthTries 10, by hand' >> ${dropIn}`);
    machine(BACKUP).sh(`rm ${unit}`);
    try {
      const found = ops(["drift"]);
      expect(found.status).toBe(1);
      expect(found.stdout).toContain(`${APP}: 1 difference`);
      expect(found.stdout).toContain(`  changed ${dropIn}  (installed by git-ssh-setup:`);
      expect(found.stdout).toContain(`${BACKUP}: 1 difference`);
      expect(found.stdout).toContain(`  missing ${unit}  (installed by backup-setup:`);
      // The timer's check, in its own sandbox, finds the same and records it for the node metrics.
      machine(APP).sh("systemctl start shithub-drift.service");
      expect(machine(APP).sh("cut -d' ' -f2- /var/lib/shithub-drift/result")).toBe("1 0 0");
      expect(machine(APP).sh("systemctl start shithub-node-metrics.service && grep '^shithub_drift_files' /var/lib/prometheus/node-exporter/shithub.prom"))
        .toBe('shithub_drift_files{kind="changed"} 1\nshithub_drift_files{kind="missing"} 0\nshithub_drift_files{kind="extra"} 0');
      const { s } = statusJson();
      expect(s.hosts.find((h) => h.host === APP)!.needsAPerson).toEqual(expect.arrayContaining([`drift: 1 changed, 0 missing, 0 extra (npm run ops -- drift --host ${APP})`]));
    } finally {
      machine(APP).sh(`echo ${savedDropIn} | base64 -d > ${dropIn}`);
      machine(BACKUP).sh(`echo ${savedUnit} | base64 -d > ${unit}`);
      machine(APP).sh("systemctl start shithub-drift.service");
    }
    expect(ops(["drift"]).status).toBe(0);
  });

  it("maintenance on: a push over HTTPS and over SSH fails with the message, a write answers 503 with Retry-After, clones still work; status shows it; off: pushes work again", () => {
    const message = "converge: read-only while we move the database";
    const on = ops(["maintenance", "on", "--message", message]);
    expect(on.status).toBe(0);
    expect(on.stdout).toMatch(new RegExp(`^${APP}: maintenance ON since \\S+Z: ${message}$`, "m"));
    try {
      const w = join(work, "alice-work");
      writeFileSync(join(w, "MAINTENANCE"), "during\n");
      execFileSync("git", ["-C", w, "add", "MAINTENANCE"]);
      execFileSync("git", ["-C", w, "-c", "user.name=alice", "-c", "user.email=alice@shithub.test", "commit", "-qm", "during maintenance"]);
      const env = { ...process.env, GIT_SSH_COMMAND: gitSsh(), GIT_SSL_CAINFO: pebbleRoot, GIT_TERMINAL_PROMPT: "0" };
      const git = (args: string[]) => spawnSync("git", ["-C", w, "-c", `http.curloptResolve=${DOMAIN}:443:${machine(APP).publicIp}`, ...args], { encoding: "utf8", env });
      const overSsh = git(["push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"]);
      console.log(`push over SSH in maintenance: exit ${overSsh.status}\n${overSsh.stderr}`);
      expect(overSsh.status).not.toBe(0);
      expect(overSsh.stderr).toContain(`shithub: ${message}`);
      const overHttps = git(["push", "-q", `https://alice:${encodeURIComponent(ALICE_PASSWORD)}@${DOMAIN}/alice/hello.git`, "trunk:refs/heads/maintenance"]);
      console.log(`push over HTTPS in maintenance: exit ${overHttps.status}\n${overHttps.stderr}`);
      expect(overHttps.status).not.toBe(0);
      expect(overHttps.stderr).toMatch(/503|read-only while we move/);
      const write = curl(`https://${DOMAIN}/login`, "-D", "-", "-X", "POST", "--data", "username=alice");
      expect(write.stdout).toMatch(/^HTTP\/2 503/);
      expect(write.stdout).toMatch(/^retry-after: 300\r?$/im);
      expect(write.stdout).toContain(message);
      // Reads go on: the page, and clones over HTTPS and SSH.
      expect(curl(`https://${DOMAIN}/`, "-o", "/dev/null", "-w", "%{http_code}").stdout).toBe("200");
      const https = spawnSync("git", ["-c", `http.curloptResolve=${DOMAIN}:443:${machine(APP).publicIp}`, "clone", "-q", `https://${DOMAIN}/alice/hello.git`, join(work, "maint-https")],
        { encoding: "utf8", env: { ...process.env, GIT_SSL_CAINFO: pebbleRoot } });
      expect(`${https.status} ${https.stderr}`).toBe("0 ");
      const ssh = spawnSync("git", ["clone", "-q", `git@${DOMAIN}:alice/hello.git`, join(work, "maint-ssh")], { encoding: "utf8", env: { ...process.env, GIT_SSH_COMMAND: gitSsh() } });
      expect(ssh.status).toBe(0);
      // The edge's own setup again (as an up that changed the Caddyfile would run it) leaves it on.
      machine(APP).sh("systemctl reload-or-restart caddy.service");
      expect(curl(`https://${DOMAIN}/login`, "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST").stdout).toBe("503");
      const { s } = statusJson();
      expect(s.hosts.find((h) => h.host === APP)!.maintenance).toMatchObject({ on: true, message });
    } finally {
      const off = ops(["maintenance", "off"]);
      expect(off.stdout).toContain(`${APP}: maintenance off`);
    }
    pushes(join(work, "alice-work"), "after-maintenance");
  });

  it("exec: an admin command runs as shithub with the web's environment (its database URL) and sandbox, nothing of it on the command line", () => {
    const r = ops(["exec"], ["admin", "run-job", "jobs:purge", "{}"]);
    expect(r.status).toBe(0);
    const id = /^run-job: enqueued #(\d+) \(kind=jobs:purge\)$/m.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    expect(machine(DB).sh(`runuser -u postgres -- psql -X -At -d shithub -c "SELECT kind FROM jobs WHERE id = ${id}"`)).toBe("jobs:purge");
    // The transient unit ran the web unit's way: as shithub, with the environment file, not on argv.
    const unit = machine(APP).sh("journalctl --no-pager -o cat -u 'shithub-exec-*' | tail -n 20");
    expect(unit).not.toContain("postgres://");
    const failed = ops(["exec"], ["no-such-command"]);
    expect(failed.status).not.toBe(0);
  });

  it("logs: shithubd's journal from the app host, one readable line per entry", () => {
    const r = ops(["logs", "--host", APP, "--unit", "shithubd-web.service", "--lines", "40"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(40);
    // shithubd's lines, and systemd's about its unit (journalctl -u shows both).
    for (const l of lines) expect(l).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ${APP} (shithubd-web|systemd): `));
    expect(lines.some((l) => / shithubd-web: INFO request method=GET path=\S+ status=\d+ /.test(l))).toBe(true);
    expect(lines.filter((l) => /: \{"time"/.test(l))).toEqual([]);
  });

  it("audit: each release on the app host, with its version, commit and who deployed it", () => {
    const r = ops(["audit"]);
    expect(r.status).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.includes(` ${APP} `));
    expect(rows.map((l) => l.split(/\s+/)[2])).toEqual(expect.arrayContaining([V1, V2, V3, V4]));
    for (const row of rows) {
      expect(row).toContain(TEST_DEPLOYER.commit.slice(0, 12));
      expect(row.endsWith(TEST_DEPLOYER.who)).toBe(true);
    }
  });
});

describe("alerts reach a person", () => {
  it("Postgres stops: PostgresDown is mailed through the smarthost beyond the firewall, over STARTTLS with the stack's login", async () => {
    const before = new Set(readdirSync(mailDir));
    machine(DB).sh("systemctl stop postgresql");
    const stopped = Date.now();
    type Mail = { received: number; login: string | null; tls: boolean; to: string[]; message: string };
    let mail: Mail | undefined;
    try {
      // The exporter's next scrape, the agent's push, an evaluation, the rule's 1 minute, Alertmanager's 10 s wait: about two minutes.
      for (const deadline = Date.now() + 420_000; mail === undefined && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 2000));
        mail = readdirSync(mailDir).filter((f) => f.endsWith(".json") && !before.has(f)).map((f) => JSON.parse(readFileSync(join(mailDir, f), "utf8")) as Mail)
          .find((m) => m.message.includes("PostgresDown"));
      }
    } finally {
      machine(DB).sh("systemctl start postgresql");
    }
    expect(mail).toBeDefined();
    console.log(`PostgresDown mailed ${Math.round((mail!.received * 1000 - stopped) / 1000)} s after Postgres stopped on ${DB}`);
    expect({ login: mail!.login, tls: mail!.tls, to: mail!.to }).toEqual({ login: SMTP_LOGIN.username, tls: true, to: JSON.parse(production.values["shithubd:alertEmails"]!) });
    expect(mail!.message).toContain(DB);
  }, 600_000);
});

describe("losing every host: the environment back from its DR copies (docs/runbooks/recover-an-environment.md)", () => {
  /** The config the last release left the stack with (the canary's release). */
  const LAST = { "shithubd:SHITHUB_RATELIMIT__API__ANON_PER_HOUR": "120" };
  const rows = () => machine(DB).sh(`runuser -u postgres -- psql -X -At -d shithub -c "${ROW_COUNTS_SQL}"`);
  const refs = () => machine(APP).sh("cd /data/repos && for r in $(find . -name '*.git' -prune | sort); do git -c safe.directory='*' -C \"$r\" for-each-ref --format=\"$r %(objectname) %(refname)\"; done");
  const psql = (sql: string) => machine(DB).sh(`runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d shithub -c "${sql}"`);

  it("writes, then every droplet and volume destroyed; new hosts converge held, npm run recover brings the data back, and the forge serves it: every row, every ref but the one pushed after the last snapshot", async () => {
    // Writes: a user signs up, alice pushes; the weekly base backup and the daily snapshot, as their timers take them.
    const bob = new Browser({ domain: DOMAIN, address: machine(APP).publicIp, ca: pebbleRoot, dir: work, name: "bob" });
    expect(bob.submit("/signup", { username: "bob", email: "bob@shithub.test", password: ALICE_PASSWORD, company: "" })).toMatchObject({ status: 303 });
    const w = join(work, "alice-work");
    writeFileSync(join(w, "NOTES"), "written before the loss\n");
    execFileSync("git", ["-C", w, "add", "NOTES"]);
    execFileSync("git", ["-C", w, "-c", "user.name=alice", "-c", "user.email=alice@shithub.test", "commit", "-qm", "before the loss"]);
    pushes(w, "before-loss");
    machine(DB).sh("systemctl start shithub-basebackup.service");
    machine(APP).sh("systemctl start shithub-repos-backup.service");
    // After the snapshot: a push (its ref is in no snapshot: lost, and reported) and, last, a row.
    const late = spawnSync("git", ["-C", w, "-c", `http.curloptResolve=${DOMAIN}:443:${machine(APP).publicIp}`, "push", "-q",
      `https://alice:${encodeURIComponent(ALICE_PASSWORD)}@${DOMAIN}/alice/hello.git`, "trunk:refs/heads/after-snapshot"], { encoding: "utf8", env: { ...process.env, GIT_SSL_CAINFO: pebbleRoot } });
    expect(`${late.status} ${late.stderr}`).toBe("0 ");
    const lastWrite = psql("INSERT INTO converge_wal VALUES (clock_timestamp()) RETURNING to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US\\\"Z\\\"')").split("\n")[0]!;
    // The segment with the last write archived (archive_timeout would within 60 s), then the DR copy, as its timer takes it.
    const archived = Number(psql("SELECT archived_count FROM pg_stat_archiver"));
    psql("SELECT pg_switch_wal()");
    machine(DB).sh(`for i in $(seq 300); do [ "$(runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver')" -gt ${archived} ] && exit 0; sleep 0.2; done; exit 1`);
    // An object of shithubd's (an avatar), as its S3 storage writes it.
    const avatar = join(work, "alice.png");
    writeFileSync(avatar, "an avatar\n");
    spaces.rclone("copyto", "--s3-no-check-bucket", avatar, `s:${bucket(fresh, "objects")}/avatars/alice.png`);
    machine(MONITORING).sh("systemctl start shithub-dr-sync.service");
    expect(spaces.objects(bucket(fresh, "objects-dr"), "avatars")).toEqual(["alice.png"]);
    const before = { rows: rows(), refs: refs() };
    expect(before.refs).toContain("refs/heads/after-snapshot");

    // The loss: every droplet and its volume; the buckets remain (from: dr reads only the DR copies).
    const region = (id: string) => String(fresh.resources.find((r) => r.type === "digitalocean:index/spacesBucket:SpacesBucket" && r.inputs.name === bucket(fresh, id))!.inputs.region);
    const recovery = JSON.stringify({ from: "dr", region: region("wal-dr") });
    const heldPlan = await plan(V4, { ...LAST, "shithubd:recovery": recovery });
    await spaces.provide(heldPlan);
    // The primary's copy goes with the region: the recovery reads only the DR copy.
    spaces.rclone("deletefile", "--s3-no-check-bucket", `s:${bucket(fresh, "objects")}/avatars/alice.png`);
    const lost = Date.now();
    await cloud.rebuild([APP, DB, BACKUP, MONITORING], (name) => dropletUserData(heldPlan, name));
    const byAddress = new Map(Object.entries(plannedHosts(heldPlan)).map(([name, h]) => [h.publicIpv4, name]));
    const recovered = new Stack((step) => machine(byAddress.get(step.host) ?? step.host), () => {
      for (const m of cloud.machines) for (const t of holdTimers(m)) held.set(m.name, [...new Set([...(held.get(m.name) ?? []), t])]);
    });
    const started = Date.now();
    await recovered.up(heldPlan);
    const heldAt = Date.now();
    // Held: shithubd installed, not running; nothing of the empty environment archived or snapshotted.
    expect(machine(APP).ssh("systemctl is-active shithubd-web.service").stdout.trim()).not.toBe("active");
    expect(machine(APP).sh("systemctl is-enabled shithub-repos-backup.timer || true")).toBe("disabled");
    expect(machine(DB).sh("systemctl is-enabled shithub-basebackup.timer || true")).toBe("disabled");

    // The operator's command, with their identity, from a working tree whose stack file has the key.
    const dir = mkdtempSync(join(tmpdir(), "shithub-recover-"));
    const doc = parseYaml(readFileSync(join(ROOT, "Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
    Object.assign(doc.config, { "shithubd:recovery": recovery, "shithubd:backupRecipients": TEST_BACKUP_RECIPIENTS["shithubd:backupRecipients"] });
    writeFileSync(join(dir, "Pulumi.production.yaml"), stringifyYaml(doc));
    writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(ROOT, "Pulumi.yaml")));
    writeFileSync(join(dir, "identity"), `${TEST_BACKUP_KEY.identity}\n`, { mode: 0o600 });
    const run = spawnSync("npx", ["ts-node", "--swc", "scripts/recover.ts", "-s", STACK, "--identity", join(dir, "identity"), "--app", machine(APP).publicIp, "--db", machine(DB).publicIp, "--dir", dir],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, SHITHUB_SSH: OPERATOR_SSH.join(" ") } });
    console.log(run.stdout + run.stderr);
    expect(run.status).toBe(0);
    const replayed = /to the transaction committed at (\S+);/.exec(run.stdout)?.[1] ?? "";
    const restoredAt = Date.now();
    // What came back, before shithubd or a user writes anything.
    const back = { rows: rows(), refs: refs(), lastWrite: psql("SELECT to_char(max(at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US\\\"Z\\\"') FROM converge_wal") };

    // Read-only first (the runbook's step 3): maintenance on while held; the key removed: shithubd
    // starts, the backups resume, and the state stays; then the users' checks, and writes refused.
    const ops = (args: readonly string[]) => runOps({ stack: STACK, plan: heldPlan, addressOf: (h) => machine(h).publicIp, dir: work }, args);
    const message = "shithub is back from a recovery and read-only while we check it";
    expect(ops(["maintenance", "on", "--message", message]).status).toBe(0);
    const after = await plan(V4, LAST);
    await recovered.up(after);
    userChecks(after, V4);
    const checked = Date.now();
    const refused = spawnSync("git", ["-C", w, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk:refs/heads/during-check"], { encoding: "utf8", env: { ...process.env, GIT_SSH_COMMAND: gitSsh() } });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(message);
    expect(curl(`https://${DOMAIN}/login`, "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST").stdout).toBe("503");
    expect(ops(["maintenance", "off"]).stdout).toContain(`${APP}: maintenance off`);
    pushes(w, "after-recovery");

    const lostRefs = differences(before.refs, back.refs);
    const rpoSeconds = (Date.parse(lastWrite) - Date.parse(back.lastWrite)) / 1000;
    console.log([
      `recovery: last write ${lastWrite}, last write back ${back.lastWrite} (last transaction replayed committed ${replayed}): RPO ${rpoSeconds.toFixed(3)} s`,
      `  RTO ${((checked - started) / 1000).toFixed(0)} s from the held up's start to the users' checks passing ` +
      `(held up ${((heldAt - started) / 1000).toFixed(0)} s, npm run recover ${((restoredAt - heldAt) / 1000).toFixed(0)} s, up without the key and checks ${((checked - restoredAt) / 1000).toFixed(0)} s); ` +
      `droplets rebuilt in ${((started - lost) / 1000).toFixed(0)} s`,
      `  rows before the loss: ${before.rows.split("\n").length} tables; refs lost: ${lostRefs.join(", ") || "none"}`,
    ].join("\n"));
    expect(rpoSeconds).toBeLessThanOrEqual(60);
    expect(back.lastWrite).toBe(lastWrite);
    expect(Date.parse(replayed)).toBeGreaterThanOrEqual(Date.parse(lastWrite));
    // Every row of every table.
    expect(back.rows).toBe(before.rows);
    expect(lostRefs).toEqual([expect.stringMatching(/^live: \S*\/alice\/hello\.git [0-9a-f]{40} refs\/heads\/after-snapshot$/)]);
    // shithubd's object, gone from the primary with the region, is back where shithubd reads it.
    expect(spaces.objects(bucket(after, "objects"), "avatars")).toEqual(["alice.png"]);
    expect(/^ {2}objects: (\d+)$/m.exec(run.stdout)?.[1]).toBe(String(spaces.objects(bucket(after, "objects-dr")).length));
  }, 1_800_000);
});

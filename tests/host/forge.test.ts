import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { applySteps, dropletUserData, orderOf, remoteSteps, Stack } from "./applyPlan";
import type { AppliedStep, Plan } from "./applyPlan";
import { ArtifactServer } from "./artifacts";
import { planCommitted, worldSubstitutions } from "./testStack";
import { bucketHosts, TestSpaces } from "./spaces";
import type { Substitution } from "./testStack";
import { ACME_HOST, Pebble } from "./acme";
import { loadStackFile } from "../../offline/stackFile";
import { parseReleaseReport, utcSecond } from "../../components/release/releaseReport";
import { bootCloud, clientAddresses, failedUnits, holdTimers, HOST_IP, METADATA_IP, METADATA_USER_DATA, publicIpOf, TEST_DEPLOY_KEY, worldCertificate } from "./machine";
import { Browser } from "./browser";
import { userKey } from "./userKeys";
import type { Cloud, Machine } from "./machine";
import { runOps } from "./ops";

// A fresh stack is a working forge: Pulumi.staging.yaml as committed (its one host with every role,
// in its own mode) with the test world's substitutions, its droplet booted from the program's own
// user data (cloud-init, NoCloud) behind the cloud firewalls it declares, and the program's own
// remote steps applied concurrently in their dependency order, as `pulumi up` would; then checked
// from outside, as a user meets it. The test creates nothing the program should create: as a
// user would, it registers a key and pushes a repository, and it trusts the edge's certificate
// through Pebble's root, the test world's ACME CA.

const ROOT = join(__dirname, "..", "..");
const staging = loadStackFile(ROOT, "staging");
const HOST = (JSON.parse(staging.values["shithubd:hosts"]!) as Array<{ name: string }>)[0]!.name;
const DOMAIN = staging.values["shithubd:domain"]!;
const PORT = 8097;
const VERSION = "v1.0.0";
const PUBLIC_BRIDGE = "shithub-pub";
const CONTAINER_IP = publicIpOf(0);
const work = mkdtempSync(join(tmpdir(), "shithub-forge-"));
let machine: Machine;
let cloud: Cloud | undefined;
let plannedFresh: Plan;
const artifacts = new ArtifactServer(join(work, "artifacts"), PORT);
const pebble = new Pebble(join(work, "pebble"));
const spaces = new TestSpaces(work);
const applied: AppliedStep[] = [];
let stack: Stack;

/** What the test world substitutes in Pulumi.staging.yaml, and why; secrets are TEST_SECRETS. */
const SUBSTITUTIONS: readonly Substitution[] = worldSubstitutions({ artifacts, acmeDirectory: () => pebble.directoryUrl });
/** The version the stack is at: the journeys below bump it. */
let current = VERSION;
const planAt = (version: string, set: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<Plan> =>
  planCommitted(staging, SUBSTITUTIONS, { version, sha256: artifacts.sha(version) }, set, secrets);
const plan = (set: Record<string, string> = {}, secrets: Record<string, string> = {}): Promise<Plan> => planAt(current, set, secrets);

/** The committed stack at another version (a version bump: `pulumi config set shithubd:version`). */
const planVersion = (version: string): Promise<Plan> => {
  current = version;
  return plan();
};

function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...options.env }, input: options.input ?? "" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** `ip ARGS` on this host; must succeed. */
function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

let caCert: string;
const curl = (url: string, ...extra: string[]) =>
  run("curl", ["-sS", "--max-time", "20", "--cacert", caCert, "--resolve", `${DOMAIN}:443:${CONTAINER_IP}`, "--resolve", `${DOMAIN}:80:${CONTAINER_IP}`,
    "--resolve", `www.${DOMAIN}:443:${CONTAINER_IP}`, ...extra, url]);

/** ssh as a git user would run it, with `key`, to git@<domain>. */
function gitSsh(key: string): string {
  return `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostName=${CONTAINER_IP}`;
}


const psqlAsPostgres = (sql: string, db = "shithub") => machine.sh(`runuser -u postgres -- psql -X -At -d ${db} -c "${sql}"`);

beforeAll(async () => {
  artifacts.publish(VERSION, "migrations=1");
  const fresh = await plan();
  plannedFresh = fresh;
  const host = (fresh.outputs as { hosts: Record<string, { privateIpv4: string }> }).hosts[HOST]!;
  cloud = await bootCloud(work, [{ name: HOST, userData: dropletUserData(fresh, HOST), privateIp: host.privateIpv4, vpcPrefix: Number(staging.values["shithubd:vpcIpRange"]!.split("/")[1]), volume: true }], {
    firewalls: fresh,
    names: [ACME_HOST, ...bucketHosts(fresh)],
    alongside: async (ca) => {
      const acme = worldCertificate(ca, work, "acme", [ACME_HOST]);
      await Promise.all([pebble.start({ listen: HOST_IP, cert: acme.cert, key: acme.key, domainAddress: CONTAINER_IP }), spaces.up(ca)]);
    },
  });
  machine = cloud.machine(HOST);
  artifacts.start(cloud.worldCa);
  await spaces.provide(fresh);
  // `pulumi up`: every step at once where the program's dependencies allow.
  stack = new Stack(() => machine, () => void holdTimers(machine));
  applied.push(...await stack.up(fresh));
  caCert = join(work, "pebble-root.crt");
  writeFileSync(caCert, pebble.root(HOST_IP, cloud.worldCa.cert));
  // Caddy orders the edge's certificates from Pebble once it is set up.
  for (const name of [DOMAIN, `www.${DOMAIN}`]) {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline && curl(`https://${name}/`, "-o", "/dev/null").status !== 0;) await new Promise((r) => setTimeout(r, 1000));
  }
}, 1_200_000);

afterAll(() => {
  pebble.stop();
  spaces.down();
  artifacts.stop();
  cloud?.down();
  // The droplets' disks, the bucket store and the clones: several GB a run.
  rmSync(work, { recursive: true, force: true });
});

describe("a fresh `pulumi up` of one host with every role", () => {
  it("booted from its user data: cloud-init done, no unit failed", () => {
    expect(machine.sh("cloud-init status")).toBe("status: done");
    expect(failedUnits(machine)).toBe("");
    // No image user with the droplet's keys and passwordless sudo.
    expect(machine.sh("getent passwd debian || echo none")).toBe("none");
  });

  it("ran the program's remote steps concurrently in its order: none before the steps it depends on, the database before the release", () => {
    const names = applied.map((s) => s.name.replace(`${HOST}-`, ""));
    expect(orderOf(plannedFresh, applied).violations).toEqual([]);
    expect(names.indexOf("db-setup")).toBeLessThan(names.indexOf("release"));
    expect([...names].sort()).toEqual(["access-setup", "audit", "backup-observer-setup", "backup-setup", "db-setup", "dr-sync-setup", "edge-setup", "git-ssh-setup", "metrics-setup",
      "monitoring-setup", "ops-setup", "postgres-metrics-setup", "release", "repos-backup-setup"]);
  });

  it("the database, its roles and extensions exist because the db setup step made them, with the data on the volume", () => {
    expect(psqlAsPostgres("SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname LIKE 'shithub%' ORDER BY 1", "postgres"))
      .toBe("shithub|t|f\nshithub_backup|t|f");
    expect(psqlAsPostgres("SELECT pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shithub'", "postgres")).toBe("UTF8|shithub");
    expect(psqlAsPostgres("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")).toBe("citext\npg_stat_statements");
    expect(psqlAsPostgres("SELECT pg_has_role('shithub_backup', 'pg_read_all_data', 'member')", "postgres")).toBe("t");
    expect(psqlAsPostgres("SHOW data_directory", "postgres")).toBe("/data/postgresql/15/main");
    // shithubd's migration ran against it through the generated password (loopback: Postgres is local here).
    expect(psqlAsPostgres("SELECT count(*) FROM goose_db_version")).toBe("1");
  });

  it("serves https://<domain>/readyz through Caddy from shithubd, which reaches its database", () => {
    const r = curl(`https://${DOMAIN}/readyz`, "-o", "-", "-w", "\n%{http_code}");
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n").pop()).toBe("200");
  });

  it("answers / over HTTPS with HSTS and nosniff, redirects HTTP and www to https://<domain>", () => {
    const page = curl(`https://${DOMAIN}/`, "-D", "-", "-o", "/dev/null");
    expect(page.stdout).toMatch(/^HTTP\/2 200/);
    expect(page.stdout).toMatch(/strict-transport-security: max-age=31536000/i);
    expect(page.stdout).toMatch(/x-content-type-options: nosniff/i);
    expect(curl(`http://${DOMAIN}/x`, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}").stdout).toBe(`308 https://${DOMAIN}/x`);
    expect(curl(`https://www.${DOMAIN}/x`, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}").stdout).toBe(`301 https://${DOMAIN}/x`);
  });

  it("refuses a certificate nobody vouched for (curl without the test CA)", () => {
    const r = run("curl", ["-sS", "--max-time", "10", "--resolve", `${DOMAIN}:443:${CONTAINER_IP}`, `https://${DOMAIN}/`]);
    expect(r.status).toBe(60);
  });

  describe("a person's forge: sign up, add a key, create a repository through shithubd, push and clone over SSH and HTTPS", () => {
    const PASSWORD = "correct horse battery staple";
    const alice = { key: "", fingerprint: "", pub: "" };
    const stranger = { key: "" };
    let browser: Browser;
    const local = () => join(work, "alice-work");
    const git = (args: string[], env: NodeJS.ProcessEnv = {}) => run("git", ["-c", `http.curloptResolve=${DOMAIN}:443:${CONTAINER_IP}`, ...args],
      { env: { GIT_SSH_COMMAND: gitSsh(alice.key), GIT_SSL_CAINFO: caCert, GIT_TERMINAL_PROMPT: "0", ...env } });
    const httpsUrl = (password = PASSWORD) => `https://alice:${encodeURIComponent(password)}@${DOMAIN}/alice/hello.git`;
    const sshUrl = `git@${DOMAIN}:alice/hello.git`;
    /** The refs a remote advertises, as `<sha> <ref>` lines, sorted. */
    const advertised = (url: string) => git(["ls-remote", url]).stdout.trim().split("\n").map((l) => l.replace("\t", " ")).filter((l) => !l.endsWith(" HEAD")).sort();
    /** git over SSH with alice's key, without blocking this process (others run beside it). */
    const gitAsync = (args: string[]) => new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn("git", args, { env: { ...process.env, GIT_SSH_COMMAND: gitSsh(alice.key) } });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
      child.on("close", (status) => resolve({ status, stderr }));
    });
    const pushEvents = () => psqlAsPostgres("SELECT protocol || ' ' || ref FROM push_events ORDER BY id");
    const commit = (message: string) => {
      writeFileSync(join(local(), "README"), `${message}\n`);
      execFileSync("git", ["-C", local(), "add", "README"]);
      execFileSync("git", ["-C", local(), "-c", "user.name=alice", "-c", "user.email=alice@forge.test", "commit", "-qm", message]);
    };

    beforeAll(() => {
      Object.assign(alice, userKey(work, "alice"));
      stranger.key = userKey(work, "stranger").key;
      browser = new Browser({ domain: DOMAIN, address: CONTAINER_IP, ca: caCert, dir: work, name: "alice" });
    });

    it("signs up, verifies the address from the mail shithubd sends (staging's mail goes to its journal), and signs in", () => {
      expect(browser.submit("/signup", { username: "alice", email: "alice@forge.test", password: PASSWORD, company: "" }))
        .toMatchObject({ status: 303, location: "/login?notice=signup-pending" });
      const link = machine.sh(`journalctl -u shithubd-web.service --no-pager -o cat | grep -o 'https://${DOMAIN}/verify-email/[^[:space:]"]*' | tail -n 1`);
      expect(link).toMatch(new RegExp(`^https://${DOMAIN.replaceAll(".", "\\.")}/verify-email/\\S+$`));
      // Not before the address is verified.
      expect(browser.submit("/login", { username: "alice", password: PASSWORD }).body).toContain("Please verify your email before signing in.");
      expect(browser.get(link.replace(`https://${DOMAIN}`, ""))).toMatchObject({ status: 303, location: "/login?notice=verified" });
      expect(browser.submit("/login", { username: "alice", password: PASSWORD })).toMatchObject({ status: 303, location: "/" });
    });

    it("adds an SSH key and creates a repository, whose hooks run the stable path", () => {
      expect(browser.submit("/settings/keys", { title: "laptop", key: alice.pub })).toMatchObject({ status: 303, location: "/settings/keys" });
      expect(browser.submit("/new", { name: "hello", visibility: "public" })).toMatchObject({ status: 303, location: "/alice/hello" });
      expect(browser.get("/alice/hello").status).toBe(200);
      expect(machine.sh("tail -q -n 1 /data/repos/al/alice/hello.git/hooks/pre-receive /data/repos/al/alice/hello.git/hooks/post-receive")).toBe(
        'exec "/usr/local/bin/shithubd" hook pre-receive "$@"\nexec "/usr/local/bin/shithubd" hook post-receive "$@"');
      expect(machine.sh("stat -c '%U:%G %a' /data/repos/al/alice/hello.git")).toMatch(/^shithub:shithub 2\d\d\d$/);
    });

    it("pushes a branch and a tag over SSH and another branch over HTTPS; both clones hold exactly the pushed refs, and shithubd's hooks recorded each push", () => {
      execFileSync("git", ["init", "-q", "-b", "trunk", local()]);
      commit("hello from shithub");
      execFileSync("git", ["-C", local(), "tag", "v0.1"]);
      const overSsh = git(["-C", local(), "push", "-q", sshUrl, "trunk", "v0.1"]);
      expect(overSsh.stderr).not.toMatch(/error|rejected/);
      expect(overSsh.status).toBe(0);
      execFileSync("git", ["-C", local(), "checkout", "-q", "-b", "feature"]);
      commit("a feature");
      const overHttps = git(["-C", local(), "push", "-q", httpsUrl(), "feature"]);
      expect(overHttps.stderr).not.toMatch(/error|rejected/);
      expect(overHttps.status).toBe(0);

      const pushed = execFileSync("git", ["-C", local(), "show-ref", "trunk", "feature", "v0.1"], { encoding: "utf8" }).trim().split("\n").sort();
      expect(pushed).toHaveLength(3);
      expect(advertised(sshUrl)).toEqual(pushed);
      expect(advertised(`https://${DOMAIN}/alice/hello.git`)).toEqual(pushed);
      for (const [how, url] of [["ssh", sshUrl], ["https", `https://${DOMAIN}/alice/hello.git`]] as const) {
        const dest = join(work, `clone-${how}`);
        expect(git(["clone", "-q", url, dest]).status).toBe(0);
        expect(readFileSync(join(dest, "README"), "utf8")).toBe("hello from shithub\n");
      }
      expect(pushEvents()).toBe("ssh refs/heads/trunk\nssh refs/tags/v0.1\nhttp refs/heads/feature");
      expect(psqlAsPostgres("SELECT count(*) FROM jobs WHERE kind = 'push:process'")).toBe("3");
    });

    it("refuses a push over HTTPS with a wrong password, and a key shithubd does not know", () => {
      const wrong = git(["-C", local(), "push", "-q", httpsUrl("not the password"), "feature"]);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain("Authentication failed");
      const r = run("git", ["clone", "-q", sshUrl, join(work, "clone-stranger")], { env: { GIT_SSH_COMMAND: gitSsh(stranger.key) } });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("Permission denied (publickey)");
    });

    it("refuses an interactive shell, even with a registered key: no terminal, and shithubd's forced command says no", () => {
      const tty = run("sh", ["-c", `${gitSsh(alice.key)} -tt git@${DOMAIN}`]);
      expect(tty.status).not.toBe(0);
      expect(tty.stderr).toContain("PTY allocation request failed");
      const shell = run("sh", ["-c", `${gitSsh(alice.key)} -T git@${DOMAIN}`]);
      expect(shell.status).not.toBe(0);
      expect(shell.stderr).toContain("shithub does not allow shell access");
      const command = run("sh", ["-c", `${gitSsh(alice.key)} git@${DOMAIN} cat /etc/shithub/web.env`]);
      expect(command.status).not.toBe(0);
      expect(command.stdout).toBe("");
      expect(command.stderr).toContain("shithub does not allow shell access");
    });

    it("refuses port forwarding, even with a registered key", () => {
      const r = run("sh", ["-c", `${gitSsh(alice.key)} -o ExitOnForwardFailure=yes -W 127.0.0.1:5432 git@${DOMAIN}`]);
      expect(r.status).not.toBe(0);
      // sshd refuses the channel (PermitOpen none, AllowTcpForwarding no); ssh reports it so.
      expect(r.stderr).toMatch(/stdio forwarding failed|administratively prohibited/);
    });

    it("serves 30 clones over SSH at once, none refused", async () => {
      const clones = await Promise.all(Array.from({ length: 30 }, (_, i) => gitAsync(["clone", "-q", sshUrl, join(work, `concurrent-${i}`)])));
      const refused = clones.filter((c) => c.status !== 0);
      expect(refused.map((c) => c.stderr)).toEqual([]);
      console.log(`30 concurrent SSH clones: ${clones.length - refused.length} succeeded, ${refused.length} refused`);
    }, 300_000);

    it("pushes still work after more releases than it keeps (keepReleases + 1 version bumps), over SSH and HTTPS; git fsck stays clean", async () => {
      // The number the release step the program sends keeps (shithubd:keepReleases, or its default).
      const keep = Number(/KEEP_RELEASES=["']?(\d+)/.exec(remoteSteps(plannedFresh).find((st) => st.name === `${HOST}-release`)!.stdin)![1]);
      expect(keep).toBeGreaterThan(0);
      const versions = Array.from({ length: keep + 1 }, (_, i) => `v1.0.${i + 1}`);
      for (const v of versions) artifacts.publish(v, "migrations=1");
      for (const v of versions) {
        const ran = await stack.up(await planVersion(v));
        expect(ran.map((s) => s.name)).toEqual([`${HOST}-release`, `${HOST}-audit`]);
      }
      // The release that created the repository is long pruned.
      expect(machine.sh("ls /opt/shithub/releases")).not.toContain(VERSION);
      commit("after the releases");
      expect(git(["-C", local(), "push", "-q", sshUrl, "feature"]).status).toBe(0);
      commit("and over https");
      const https = git(["-C", local(), "push", "-q", httpsUrl(), "feature"]);
      expect(https.stderr).toBe("");
      expect(https.status).toBe(0);
      expect(advertised(sshUrl)).toContain(execFileSync("git", ["-C", local(), "show-ref", "refs/heads/feature"], { encoding: "utf8" }).trim());
      expect(pushEvents().split("\n").slice(-2)).toEqual(["ssh refs/heads/feature", "http refs/heads/feature"]);
      expect(machine.ssh("runuser -u shithub -- git -C /data/repos/al/alice/hello.git fsck --strict").status).toBe(0);
    }, 900_000);

    it("a push during a release is accepted or cleanly refused, never half-done: git fsck stays clean and the refs are what was accepted", async () => {
      artifacts.publish("v1.1.0", "migrations=2");
      const next = planVersion("v1.1.0");
      const results: Array<{ status: number | null; stderr: string }> = [];
      let releasing = true;
      const pushing = (async () => {
        for (let i = 0; releasing || i < 2; i++) {
          commit(`during the release ${i}`);
          results.push(await gitAsync(["-C", local(), "push", "-q", sshUrl, "feature"]));
          // A refused push is tried again with the next commit, as a person would.
        }
      })();
      await stack.up(await next);
      releasing = false;
      await pushing;
      console.log(`pushes during a release: ${results.length}, ${results.filter((r) => r.status === 0).length} accepted`);
      for (const r of results.filter((x) => x.status !== 0)) expect(r.stderr).toMatch(/shithub: |remote: |Connection|fatal: Could not read/);
      expect(results[results.length - 1]!.status).toBe(0);
      expect(machine.ssh("runuser -u shithub -- git -C /data/repos/al/alice/hello.git fsck --strict").status).toBe(0);
      expect(advertised(sshUrl)).toContain(execFileSync("git", ["-C", local(), "show-ref", "refs/heads/feature"], { encoding: "utf8" }).trim());
    }, 600_000);

    it("a reboot: the forge comes back by itself, no unit failed, and maintenance stays on (npm run ops): pages and clones served, a push refused with the message; off: the push goes in", async () => {
      const ops = (args: readonly string[]) => runOps({ stack: staging.stack, plan: plannedFresh, addressOf: () => CONTAINER_IP, dir: work }, args);
      const message = "forge: read-only across a reboot";
      expect(ops(["maintenance", "on", "--message", message]).status).toBe(0);
      machine.sh("touch /run/shithub-before-reboot");
      await cloud!.reboot(HOST);
      // /run is the boot's own: its marker gone is this boot being another.
      expect(machine.ssh("test -e /run/shithub-before-reboot").status).toBe(1);
      holdTimers(machine);
      for (const deadline = Date.now() + 300_000; curl(`https://${DOMAIN}/readyz`, "-o", "/dev/null", "-w", "%{http_code}").stdout !== "200" && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(curl(`https://${DOMAIN}/readyz`, "-o", "/dev/null", "-w", "%{http_code}").stdout).toBe("200");
      expect(failedUnits(machine)).toBe("");
      expect(ops(["maintenance", "show"]).stdout).toMatch(new RegExp(`^${HOST}: maintenance ON since \\S+Z: ${message}$`, "m"));
      expect(curl(`https://${DOMAIN}/`, "-o", "/dev/null", "-w", "%{http_code}").stdout).toBe("200");
      const dest = join(work, "clone-after-reboot");
      expect(git(["clone", "-q", httpsUrl(), dest]).status).toBe(0);
      commit("after the reboot");
      const refused = git(["-C", local(), "push", "-q", sshUrl, "trunk"]);
      expect({ status: refused.status === 0, message: refused.stderr.includes(`shithub: ${message}`) }).toEqual({ status: false, message: true });
      expect(ops(["maintenance", "off"]).status).toBe(0);
      expect(git(["-C", local(), "push", "-q", sshUrl, "trunk"]).status).toBe(0);
      expect(advertised(sshUrl)).toContain(`${git(["-C", local(), "rev-parse", "trunk"]).stdout.trim()} refs/heads/trunk`);
    }, 900_000);
  });

  describe("the edge: shithubd's own endpoints stay home, and each client gets its own rate limit", () => {
    it("answers 404 for /metrics and /internal/* from the internet: shithubd never sees them (its panic trigger logs nothing)", () => {
      const panics = () => machine.sh("journalctl -u shithubd-web.service --no-pager -o cat | grep -c 'panic trigger' || true");
      const before = panics();
      for (const path of ["/metrics", "/internal/panic", "/internal/", "/metrics/x"]) {
        expect(`${path} ${curl(`https://${DOMAIN}${path}`, "-o", "/dev/null", "-w", "%{http_code}").stdout}`).toBe(`${path} 404`);
      }
      expect(panics()).toBe(before);
      // On the host, where Prometheus scrapes it, shithubd's trigger is there (the check above can fail).
      expect(machine.sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/internal/panic")).toBe("500");
      expect(Number(panics())).toBe(Number(before) + 1);
    });

    it("two clients on different networks get separate rate limits: one past its burst is refused (429, Retry-After), the other is served", () => {
      const [a, b] = clientAddresses(2);
      const from = (address: string) => new Browser({ domain: DOMAIN, address: CONTAINER_IP, ca: caCert, dir: work, name: `rate-${address}`, from: address });
      const first = from(a!);
      const statuses = Array.from({ length: 70 }, () => first.get("/").status);
      expect(statuses.slice(0, 60).every((st) => st === 200)).toBe(true);
      expect(statuses.slice(60)).toContain(429);
      expect(from(b!).get("/").status).toBe(200);
      expect(curl(`https://${DOMAIN}/`, "--interface", a!, "-D", "-", "-o", "/dev/null").stdout).toMatch(/^HTTP\/2 429[\s\S]*retry-after: \d+/im);
    });
  });

  it("Caddy's admin API is a socket, not a port; an edge from before it moves there by a reload, and its metrics stay on loopback (security review N14)", () => {
    const edge = remoteSteps(plannedFresh).find((st) => st.name === `${HOST}-edge-setup`)!;
    // The edge as it was: the same file without the admin line, so the API on Caddy's default port.
    machine.sh("sed -i '/^[[:space:]]*admin unix/d' /etc/caddy/Caddyfile && systemctl restart caddy.service && " +
      "for i in $(seq 50); do curl -s -o /dev/null http://localhost:2019/config/ && exit 0; sleep 0.1; done; exit 1");
    const pid = machine.sh("systemctl show -p MainPID --value caddy.service");
    const r = machine.ssh(edge.command, edge.stdin, edge.hostKey, edge.privateKey);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0, stderr: expect.stringMatching(/changed: .*Caddyfile/) });
    // A reload, not a restart: the same process serves on, its API now on the socket only.
    expect(machine.sh("systemctl show -p MainPID --value caddy.service")).toBe(pid);
    expect(machine.ssh("curl -s -o /dev/null http://localhost:2019/config/").status).not.toBe(0);
    expect(machine.sh("test -S /var/lib/caddy/admin.sock && stat -c '%U' /var/lib/caddy/admin.sock")).toBe("caddy");
    expect(machine.ssh("runuser -u shithub -- curl -s --unix-socket /var/lib/caddy/admin.sock http://admin/config/").status).not.toBe(0);
    expect(machine.sh("curl -s http://127.0.0.1:2020/metrics | grep -c '^caddy_' || true")).not.toBe("0");
    expect(machine.sh(`ss -Hltn 'sport = :2020' | awk '{print $4}'`)).toBe("127.0.0.1:2020");
    expect(curl(`https://${DOMAIN}/`, "-o", "/dev/null", "-w", "%{http_code}").stdout).toBe("200");
  });

  it("admits root only from the admin networks: a login from another address is refused", () => {
    const other = "10.213.0.5";
    ip("addr", "add", `${other}/32`, "dev", PUBLIC_BRIDGE);
    const login = (from: string) => run("ssh", ["-i", join(work, "id_ed25519"), "-b", from, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
      "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", `root@${CONTAINER_IP}`, "true"]);
    expect(login(HOST_IP).status).toBe(0);
    const refused = login(other);
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain("Permission denied");
    ip("addr", "del", `${other}/32`, "dev", PUBLIC_BRIDGE);
  });

  it("lets only root and DigitalOcean's agent reach the metadata service, which would hand out the user data and its host key (security review H2)", () => {
    // The test cloud's stand-in for the metadata service answers on its link-local address.
    const fetch = `curl -sS --max-time 3 http://${METADATA_IP}/metadata/v1/user-data`;
    expect(machine.sh(`for i in $(seq 50); do ${fetch} 2>/dev/null && exit 0; sleep 0.1; done; exit 1`)).toBe(METADATA_USER_DATA.trim());
    const asShithub = machine.ssh(`runuser -u shithub -- ${fetch}`);
    expect(asShithub.status).toBe(28);
    expect(asShithub.stdout).toBe("");
    expect(machine.ssh(`runuser -u nobody -- ${fetch}`).status).toBe(28);
    // do-agent, which the droplet's monitoring installs, reads it as its own user: DigitalOcean's alerts have data.
    expect(machine.ssh(`runuser -u do-agent -- ${fetch}`).stdout).toBe(METADATA_USER_DATA);
    expect(machine.sh("journalctl -u do-agent --no-pager -o cat -n 1")).toBe("metadata: reached");
  });

  it("keeps Postgres off the network when no other host needs it: it listens on loopback only, and the cloud firewall has no rule for it", () => {
    const r = run("psql", ["-X", "-At", `host=${CONTAINER_IP} port=5432 user=shithub dbname=shithub connect_timeout=3`, "-c", "select 1"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("timeout expired");
    const listening = machine.sh("ss -Hltn 'sport = :5432' | awk '{print $4}' | sort").split("\n");
    expect(listening.length).toBeGreaterThan(0);
    for (const address of listening) expect(address).toMatch(/^(127\.0\.0\.1|\[::1\]):5432$/);
  });

  it("production's promotion gate judges what this staging stack exports: refused until the release has soaked and staging's canary passed it", async () => {
    // What staging exports after this up: its outputs, with its release step's own report as the engine keeps it.
    const report = parseReleaseReport(applied.find((s) => s.name === `${HOST}-release`)!.stdout)!;
    expect(report.version).toBe(VERSION);
    const exported = async (p: Plan) => {
      const out = p.outputs as { release: { version: string; hosts: Record<string, unknown> }; canary: unknown };
      return { release: { ...out.release, hosts: { ...out.release.hosts, [HOST]: report } }, canary: out.canary };
    };
    const production = loadStackFile(ROOT, "production");
    const judged = async (upstream: Awaited<ReturnType<typeof exported>>, now: Date) =>
      planCommitted(production, SUBSTITUTIONS, { version: VERSION, sha256: artifacts.sha(VERSION) }, {}, {}, { upstream, now });
    const released = Date.parse(report.releasedAt);
    await expect(judged(await exported(plannedFresh), new Date(released + 60_000))).rejects.toThrow(new RegExp(
      `Stack 'production' refuses shithubd ${VERSION.replaceAll(".", "\\.")}: its promotion gate \\(from organization/shithubd/staging, soak 30 min\\)[\\s\\S]*` +
      `has run on staging for 1 of the 30 minutes[\\s\\S]*staging has no canary verdict on ${VERSION.replaceAll(".", "\\.")}`));
    // After the soak, the canary's verdict recorded in staging's config (npm run canary -- --record writes it): production may take the version.
    const verdict = { version: VERSION, verdict: "pass", judgedAt: utcSecond(released + 31 * 60_000), releasedAt: report.releasedAt, windowSeconds: 1800, failed: [] };
    const recorded = await planAt(VERSION, { "shithubd:canaryVerdict": JSON.stringify(verdict) });
    const promoted = await judged(await exported(recorded), new Date(released + 31 * 60_000));
    expect(promoted.decision).toMatchObject({ verdict: "passed", version: VERSION, since: report.releasedAt, soakedMinutes: 31, reasons: [] });
  });

  // Last: afterwards only the new key logs in, and this file's helpers use the old one.
  it("rotates the deploy key (security review M4): one up adds the next key, the next switches to it and removes the old one", async () => {
    const next = ed25519KeyPair("forge test: the next deploy key");
    const logsIn = (privateKey: string) => machine.ssh("true", "", undefined, privateKey).status === 0;
    const steps = (p: Plan) => remoteSteps(p);
    expect(machine.sh("cat /root/.ssh/authorized_keys").split("\n").filter((l) => l.startsWith("from="))).toEqual([
      `from="${HOST_IP}/32",restrict ${TEST_DEPLOY_KEY.publicKeyOpenssh.trim()} shithub-infra deploy key of ${staging.stack}`,
    ]);
    expect(logsIn(next.privateKeyOpenssh)).toBe(false);

    // 1. `pulumi config set --path 'shithubd:authorizedKeys[0]' "$(cat next.pub)"`, then up: only the access step changes.
    const adding = await plan({ "shithubd:authorizedKeys": JSON.stringify([next.publicKeyOpenssh.trim()]) });
    const before = await plan();
    expect(steps(adding).filter((s) => !steps(before).some((f) => f.name === s.name && f.stdin === s.stdin)).map((s) => s.name)).toEqual([`${HOST}-access-setup`]);
    applySteps(() => machine, steps(adding).filter((s) => s.name === `${HOST}-access-setup`));
    expect([logsIn(TEST_DEPLOY_KEY.privateKeyOpenssh), logsIn(next.privateKeyOpenssh)]).toEqual([true, true]);

    // 2. the stack's sshPrivateKey becomes the next key and authorizedKeys is emptied: every step runs again, with the new key.
    const switched = await plan({}, { "shithubd:sshPrivateKey": next.privateKeyOpenssh });
    expect(steps(switched).every((s) => s.privateKey === next.privateKeyOpenssh)).toBe(true);
    const ran = applySteps(() => machine, steps(switched));
    expect(ran.find((s) => s.name === `${HOST}-release`)!.stderr).toContain("unchanged; nothing restarted");
    expect([logsIn(TEST_DEPLOY_KEY.privateKeyOpenssh), logsIn(next.privateKeyOpenssh)]).toEqual([false, true]);
    expect(machine.ssh("grep -c '^from=' /root/.ssh/authorized_keys", "", undefined, next.privateKeyOpenssh).stdout.trim()).toBe("1");
  });
});

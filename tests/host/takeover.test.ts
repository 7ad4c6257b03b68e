import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadStackFile } from "../../offline/stackFile";
import { Stack } from "./applyPlan";
import type { Plan } from "./applyPlan";
import { ACME_HOST, Pebble } from "./acme";
import { ArtifactServer } from "./artifacts";
import { Browser } from "./browser";
import { userKey } from "./userKeys";
import { legacyBox } from "./legacyBox";
import { bootCloud, HOST_IP, holdTimers, publicIpOf, worldCertificate } from "./machine";
import type { Cloud, Machine } from "./machine";
import { bucketHosts, TestSpaces } from "./spaces";
import { runOps } from "./ops";
import { planCommitted, plannedDroplets, worldSubstitutions } from "./testStack";

// The takeover tier: the live forge as it runs today (tests/host/legacy/), booted in the test
// cloud beside the committed production stack's four droplets, filled with users and
// repositories with history, then taken over with `npm run takeover`: the stack up in standby,
// prepare (the database replicated through the db host's SSH tunnel, the repositories copied by
// rsync) while the old forge serves, the window with its checks, the stack out of standby, and
// the old box retired. Pulumi.production.yaml is used as committed, with the test world's
// substitutions (tests/host/testStack.ts) and the takeover's two keys an operator sets.

const ROOT = join(__dirname, "..", "..");
const production = loadStackFile(ROOT, "production");
const STACK = production.stack;
const DOMAIN = production.values["shithubd:domain"]!;
const HOSTS = JSON.parse(production.values["shithubd:hosts"]!) as Array<{ name: string; roles: string[]; volume?: unknown }>;
const nameOf = (role: string) => HOSTS.find((h) => h.roles.includes(role))!.name;
const [APP, DB] = [nameOf("app"), nameOf("db")];
const VERSION = "v1.8.0";
const work = mkdtempSync(join(tmpdir(), "shithub-takeover-"));
const artifacts = new ArtifactServer(join(work, "artifacts"), 8093);
const spaces = new TestSpaces(work);
const pebble = new Pebble(join(work, "pebble"));
artifacts.publish(VERSION, "migrations=1");
// The live box runs the very binary the stack releases: the same migrations make both schemas.
const legacy = legacyBox(DOMAIN, readFileSync(artifacts.fileOf(VERSION), "utf8"));
/** The live box is the cloud's first droplet; the stack's follow. */
const LEGACY_IP = publicIpOf(0);
/** What an operator sets before the stack's first up (docs/runbooks/takeover.md). */
const TAKEOVER = { "shithubd:takeover": "standby", "shithubd:takeoverSource": LEGACY_IP };
const plan = (set: Record<string, string>): Promise<Plan> =>
  planCommitted(production, worldSubstitutions({ artifacts, acmeDirectory: () => pebble.directoryUrl }), { version: VERSION, sha256: artifacts.sha(VERSION) }, set);
let standbyPlan: Plan;
let stack: Stack;
const PASSWORD = "correct horse battery staple 42";
let cloud: Cloud | undefined;
let old: Machine;
let app: Machine;
let db: Machine;
let caCert = "";
/** alice's key, made when she signs up. */
let alice: { key: string; pub: string };
const local = join(work, "hello");
const SOURCE_SCRIPT = readFileSync(join(ROOT, "templates", "takeover", "shithub-takeover-source.sh"), "utf8");
/** The project as the operator's checkout holds it during the takeover: the stack file with the two keys set. */
const operatorDir = join(work, "checkout");

/** git as alice runs it, against the live forge's name. */
function git(args: string[]) {
  return run("git", ["-c", `http.curloptResolve=${DOMAIN}:443:${LEGACY_IP}`, "-c", "user.name=alice", "-c", "user.email=alice@shithub.test", ...args],
    { GIT_SSH_COMMAND: gitSsh(alice.key), GIT_SSL_CAINFO: caCert, GIT_TERMINAL_PROMPT: "0" });
}

/** A new commit on trunk, pushed over SSH. */
function commitAndPush(message: string) {
  writeFileSync(join(local, "README"), `${message}\n`);
  expect(git(["-C", local, "commit", "-q", "-a", "-m", message]).status).toBe(0);
  return git(["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"]);
}

const sql = (query: string): string => old.sh(`runuser -u postgres -- psql -At -d shithub -c "${query}"`);
const serverHead = (): string => old.sh("runuser -u shithub -- git -C /data/repos/al/alice/hello.git rev-parse trunk");
/** The old box's side of the window, as the runbook runs it: the script on stdin of root's shell. */
const source = (args: string) => old.ssh(`bash -s -- ${args}`, SOURCE_SCRIPT);
const https = (): { status: string; retryAfter: string } => {
  const r = run("curl", ["-s", "-o", "/dev/null", "-D", "-", "--cacert", caCert, "--resolve", `${DOMAIN}:443:${LEGACY_IP}`, `https://${DOMAIN}/`]);
  return { status: /^HTTP\/\S+ (\d+)/.exec(r.stdout)?.[1] ?? "none", retryAfter: /^retry-after: (\S+)/im.exec(r.stdout)?.[1] ?? "" };
};

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


const gitSsh = (key: string, address = LEGACY_IP): string =>
  `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostName=${address}`;

/** `npm run takeover -- <verb>` as the operator runs it from the checkout, root on each host with the operator's key. */
function takeover(verb: string, dir = operatorDir): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const args = ["ts-node", "--swc", join(ROOT, "scripts", "takeover.ts"), verb, "--stack", STACK, "--dir", dir,
    "--source", LEGACY_IP, "--app", app.publicIp, "--db", db.publicIp, "--retry-after", "120"];
  const ssh = `ssh -i ${join(work, "id_ed25519")} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
  return new Promise((done) => {
    const child = spawn("npx", args, { cwd: ROOT, env: { ...process.env, SHITHUB_SSH: ssh }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => {
      console.log(`npm run takeover -- ${verb}: exit ${status}\n${stderr}${stdout}`);
      done({ status, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  standbyPlan = await plan(TAKEOVER);
  const droplets = plannedDroplets(standbyPlan, production);
  // The live box is a droplet of its own, in a VPC of its own; the test cloud names it as DigitalOcean does, by its name.
  cloud = await bootCloud(work, [
    { name: "shithub-live", userData: legacy.userData, privateIp: "10.40.0.2", vpcPrefix: 24, volume: false },
    ...droplets,
  ], {
    names: [DOMAIN, ...bucketHosts(standbyPlan), ACME_HOST],
    firewalls: standbyPlan,
    alongside: async (ca) => {
      const acme = worldCertificate(ca, work, "acme", [ACME_HOST]);
      await pebble.start({ listen: HOST_IP, cert: acme.cert, key: acme.key, domainAddress: publicIpOf(1 + droplets.findIndex((d) => d.name === APP)) });
      await spaces.up(ca);
    },
  });
  old = cloud.machine("shithub-live");
  app = cloud.machine(APP);
  db = cloud.machine(DB);
  artifacts.start(cloud.worldCa);
  await spaces.provide(standbyPlan);
  const byAddress = new Map(Object.entries((standbyPlan.outputs as { hosts: Record<string, { publicIpv4: string }> }).hosts).map(([name, h]) => [h.publicIpv4, name]));
  stack = new Stack((step) => cloud!.machine(byAddress.get(step.host) ?? step.host), () => { for (const m of cloud!.machines) holdTimers(m); });
  // The operator's checkout: the committed project, with the takeover's keys set in the stack file.
  mkdirSync(operatorDir);
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(operatorDir, "Pulumi.yaml"));
  writeFileSync(join(operatorDir, `Pulumi.${STACK}.yaml`), `${readFileSync(join(ROOT, `Pulumi.${STACK}.yaml`), "utf8")}  shithubd:takeover: standby\n  shithubd:takeoverSource: ${LEGACY_IP}\n`);
  caCert = join(work, "legacy-caddy-root.crt");
  // Caddy's internal CA stands in for Let's Encrypt on the live box: clients here trust it.
  const root = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt";
  for (let i = 0; i < 120 && old.ssh(`test -s ${root}`).status !== 0; i++) execFileSync("sleep", ["1"]);
  if (old.ssh(`test -s ${root}`).status !== 0) throw new Error(`Caddy made no internal CA:\n${old.ssh("tail -n 40 /var/log/cloud-init-output.log; systemctl --failed --no-pager").stdout}`);
  writeFileSync(caCert, old.sh(`cat ${root}`));
}, 1_500_000);

afterAll(() => {
  pebble.stop();
  artifacts.stop();
  spaces.down();
  cloud?.down();
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe("the live forge as it runs today (the takeover's starting point)", () => {
  it("is laid out as the real deployment leaves it: units, env files, the cluster on /data, WAL archived, root's crontab", () => {
    expect(old.sh("test -f /var/lib/shithub-legacy-ready && echo ready")).toBe("ready");
    expect(old.sh("systemctl is-active shithubd-web.service shithubd-worker.service shithubd-cron.timer caddy postgresql").split("\n")).toEqual(["active", "active", "active", "active", "active"]);
    expect(old.sh("runuser -u postgres -- psql -At -c 'SHOW data_directory' -c 'SHOW archive_mode' -c 'SHOW wal_level'").split("\n")).toEqual(["/data/pgdata", "on", "replica"]);
    expect(old.sh("stat -c '%U:%G %a' /etc/shithub/web.env /etc/shithub/worker.env").split("\n")).toEqual(["shithub:shithub 640", "shithub:shithub 600"]);
    expect(old.sh("crontab -l | grep -c '^[0-9]'")).toBe("5");
    expect(old.sh("systemctl show -p ExecStartPre --value shithubd-web.service")).toContain("/usr/local/bin/shithubd ; argv[]=/usr/local/bin/shithubd migrate up");
  });

  it("takes users, keys, repositories and pushes over SSH, and serves clones over HTTPS", () => {
    const browser = new Browser({ domain: DOMAIN, address: LEGACY_IP, ca: caCert, dir: work, name: "alice" });
    expect(browser.submit("/signup", { username: "alice", email: "alice@shithub.test", password: PASSWORD, company: "" })).toMatchObject({ status: 303 });
    const link = old.sh(`journalctl -u shithubd-web.service --no-pager -o cat | grep -o 'https://${DOMAIN}/verify-email/[^[:space:]"]*' | tail -n 1`);
    expect(browser.get(link.replace(`https://${DOMAIN}`, ""))).toMatchObject({ status: 303, location: "/login?notice=verified" });
    expect(browser.submit("/login", { username: "alice", password: PASSWORD })).toMatchObject({ status: 303, location: "/" });
    alice = userKey(work, "alice");
    expect(browser.submit("/settings/keys", { title: "laptop", key: alice.pub })).toMatchObject({ status: 303 });
    expect(browser.submit("/new", { name: "hello", visibility: "public" })).toMatchObject({ status: 303, location: "/alice/hello" });

    expect(git(["init", "-q", "-b", "trunk", local]).status).toBe(0);
    for (let i = 1; i <= 5; i++) {
      writeFileSync(join(local, "README"), `history ${i}\n`);
      expect(git(["-C", local, "add", "README"]).status).toBe(0);
      expect(git(["-C", local, "commit", "-q", "-m", `commit ${i}`]).status).toBe(0);
    }
    const pushed = git(["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"]);
    // The live box's git-shell wrapper execs shithubd directly: its log line reaches the client.
    expect({ status: pushed.status, stderr: pushed.stderr }).toEqual({ status: 0, stderr: expect.not.stringMatching(/error|fatal|rejected/i) });
    expect(old.sh("runuser -u postgres -- psql -At -d shithub -c 'SELECT count(*) FROM push_events'")).toBe("1");
    const head = git(["-C", local, "rev-parse", "trunk"]).stdout.trim();
    expect(old.sh("runuser -u shithub -- git -C /data/repos/al/alice/hello.git rev-parse trunk")).toBe(head);
    const clone = git(["clone", "-q", `https://${DOMAIN}/alice/hello.git`, join(work, "hello-https")]);
    expect({ status: clone.status, stderr: clone.stderr }).toEqual({ status: 0, stderr: "" });
    expect(git(["-C", join(work, "hello-https"), "rev-list", "--count", "trunk"]).stdout.trim()).toBe("5");
  });

  describe("the window on the live forge (templates/takeover/shithub-takeover-source.sh)", () => {
    it("window-start: HTTPS answers 503 with Retry-After, a push over SSH is refused with a message, and nothing changes", () => {
      const [head, events] = [serverHead(), sql("SELECT count(*) FROM push_events")];
      const started = source("window-start 120");
      expect({ status: started.status, stderr: started.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("in the window") });
      expect(https()).toEqual({ status: "503", retryAfter: "120" });
      const refused = commitAndPush("pushed during the window");
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain("shithub is moving to new hosts: pushes and clones are paused");
      expect([serverHead(), sql("SELECT count(*) FROM push_events")]).toEqual([head, events]);
      expect(old.sh("systemctl is-active shithubd-web.service shithubd-worker.service shithubd-cron.timer || true").split("\n")).toEqual(["inactive", "inactive", "inactive"]);
      expect(old.ssh("crontab -l").stdout).toBe("");
    });

    it("window-abort: the old forge comes back as it was, with every write, and takes the push it refused", () => {
      const aborted = source("window-abort");
      expect({ status: aborted.status, stderr: aborted.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("out of the window") });
      for (let i = 0; i < 30 && https().status !== "200"; i++) execFileSync("sleep", ["1"]);
      expect(https()).toEqual({ status: "200", retryAfter: "" });
      const pushed = git(["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"]);
      expect(pushed.status).toBe(0);
      expect(serverHead()).toBe(git(["-C", local, "rev-parse", "trunk"]).stdout.trim());
      expect(sql("SELECT count(*) FROM push_events")).toBe("2");
      expect(old.sh("crontab -l | grep -c '^[0-9]'")).toBe("5");
      expect(old.sh("grep -c 'shithub-takeover' /etc/ssh/sshd_config || true")).toBe("0");
    });
  });

  describe("the takeover onto the production stack (npm run takeover)", () => {
    const sqlOn = (m: Machine, query: string): string => m.sh(`runuser -u postgres -- psql -X -At -d shithub -c "${query}"`);
    /** Every repository's refs on `m`, one line each, sorted: what a clone of each would get. */
    const refs = (m: Machine): string => m.sh("cd /data/repos && for r in $(find . -name '*.git' -type d -prune | sort); do runuser -u shithub -- git -C \"$r\" for-each-ref --format=\"$r %(refname) %(objectname)\"; done");
    /** Every table's exact row count on `m`, but the migration ledger's. */
    const counts = (m: Machine): string => m.sh("runuser -u postgres -- psql -X -At -d shithub -c \"SELECT format('SELECT %L || ''|'' || count(*) FROM %I;', tablename, tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY tablename\" | runuser -u postgres -- psql -X -At -d shithub");

    it("the stack comes up in standby: shithubd installed, not running; no daily dump while the live forge still dumps; the db host may reach the live box's SSH only", async () => {
      await stack.up(standbyPlan);
      expect(app.sh("systemctl is-active shithubd-web.service shithubd-worker.service || true").split("\n")).toEqual(["inactive", "inactive"]);
      expect(cloud!.machine(nameOf("backup")).sh("systemctl is-active shithub-backup.timer || true")).toBe("inactive");
      const reach = (port: number) => db.ssh(`timeout 5 bash -c 'exec 3<>/dev/tcp/${LEGACY_IP}/${port}'`).status;
      // SSH is not in the base egress: the takeover's firewall lets the db host reach it on the live box.
      expect(reach(22)).toBe(0);
    }, 900_000);

    it("a stack file not in standby for this live box is refused before any host is touched, with the fix", async () => {
      // The committed stack file is not in standby.
      const other = await takeover("prepare", ROOT);
      expect(other.status).toBe(1);
      expect(other.stderr).toContain(`stack ${STACK}: shithubd:takeover is not standby`);
      expect(other.stderr).toContain(`pulumi config set shithubd:takeoverSource ${LEGACY_IP} -s ${STACK}`);
      expect(old.ssh("test -e /usr/local/sbin/shithub-takeover-db").status).not.toBe(0);
    }, 120_000);

    it("prepare, while the old forge serves: its database replicates into the stack's through SSH, its repositories are copied by rsync", async () => {
      const prepared = await takeover("prepare");
      expect({ status: prepared.status, stderr: prepared.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("git fsck of every repository") });
      expect(counts(db)).toBe(counts(old));
      expect(refs(app)).toBe(refs(old));
      // The fsck the copies rely on fails on a damaged object, naming the repository.
      app.sh("cp -a /data/repos/al/alice/hello.git /data/repos/al/alice/damaged.git && f=$(find /data/repos/al/alice/damaged.git/objects -type f -path '*/objects/??/*' | head -n 1) && chmod u+w \"$f\" && printf 'x' | dd of=\"$f\" bs=1 seek=8 conv=notrunc 2>/dev/null");
      const damaged = app.ssh("/usr/local/sbin/shithub-takeover-host fsck", "al/alice/hello.git\nal/alice/damaged.git\n");
      app.sh("rm -rf /data/repos/al/alice/damaged.git");
      expect({ status: damaged.status, stderr: damaged.stderr }).toEqual({ status: 1, stderr: expect.stringContaining("git fsck --strict failed in al/alice/damaged.git") });
      // The old forge keeps taking writes meanwhile; sync copies the repositories' changes.
      for (let i = 0; i < 60 && https().status !== "200"; i++) execFileSync("sleep", ["1"]);
      expect(commitAndPush("pushed while the copies run").status).toBe(0);
      const synced = await takeover("sync");
      expect({ status: synced.status, stdout: synced.stdout }).toEqual({ status: 0, stdout: "1 repositories changed since the last copy\n" });
    }, 900_000);

    it("a window whose checks find a difference brings the old forge back out of it, with every write, and says what differs", async () => {
      // A row the live forge never had: the stack's copy is not the live forge's.
      sqlOn(db, "INSERT INTO push_events (id, repo_id, pusher_user_id, before_sha, after_sha, ref, protocol) SELECT 1000000, repo_id, pusher_user_id, before_sha, after_sha, ref, protocol FROM push_events LIMIT 1");
      const failed = await takeover("window");
      expect(failed.status).toBe(1);
      expect(failed.stderr).toMatch(/rows stack: push_events\t\d+/);
      expect(failed.stderr).toContain("the live forge comes back out of it");
      for (let i = 0; i < 30 && https().status !== "200"; i++) execFileSync("sleep", ["1"]);
      expect(https()).toEqual({ status: "200", retryAfter: "" });
      expect(commitAndPush("pushed after the failed window").status).toBe(0);
      sqlOn(db, "DELETE FROM push_events WHERE id = 1000000");
    }, 900_000);

    it("the window: a push during it is refused cleanly; every row and ref equal; the stack out of standby serves the pushes from before", async () => {
      const window = takeover("window");
      for (let i = 0; i < 120 && https().status !== "503"; i++) execFileSync("sleep", ["0.5"]);
      // git over SSH refuses once sshd has reloaded with the window's block (a reload re-creates
      // its listener: a connection in that instant is refused outright).
      for (let i = 0; i < 120 && old.ssh("grep -qxF '# shithub-takeover window end' /etc/ssh/sshd_config && sleep 1").status !== 0; i++) execFileSync("sleep", ["0.5"]);
      const head = serverHead();
      const refused = commitAndPush("pushed during the window");
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain("shithub is moving to new hosts");
      expect(serverHead()).toBe(head);
      const done = await window;
      expect(done.status).toBe(0);
      console.log(done.stdout);
      expect(done.stdout).toMatch(/^window: \d+\.\d s without writes; every row and ref equal, git fsck clean\./);
      // Checked here too, not only by the command.
      expect(counts(db)).toBe(counts(old));
      expect(counts(db)).toContain("push_events|4");
      expect(refs(app)).toBe(refs(old));
      // Nothing of the takeover is left on either side.
      expect(old.sh("grep -c 'shithub-takeover' /root/.ssh/authorized_keys /etc/ssh/sshd_config | grep -v ':0$' | grep -v sshd_config || true")).toBe("");
      expect(sqlOn(old, "SELECT count(*) FROM pg_replication_slots")).toBe("0");
      expect(sqlOn(db, "SELECT count(*) FROM pg_subscription")).toBe("0");
      expect(db.ssh("test -e /etc/shithub-takeover").status).not.toBe(0);
      // The switch, read-only first (the runbook's step 2): maintenance on while in standby; the stack
      // leaves standby (the operator removes the two keys); its shithubd starts on the taken-over data.
      const ops = (args: readonly string[]) => runOps({ stack: STACK, plan: standbyPlan, addressOf: (h) => cloud!.machine(h).publicIp, dir: work }, args);
      const message = "shithub is moving; writes are back in a few minutes";
      expect(ops(["maintenance", "on", "--message", message]).status).toBe(0);
      await stack.up(await plan({}));
      expect(app.sh("systemctl is-active shithubd-web.service shithubd-worker.service").split("\n")).toEqual(["active", "active"]);
      // Out of standby the edge orders its certificate at once (in standby it ordered none, the
      // name being the live box's); the test world's public DNS already answers with the app host.
      const pebbleRoot = join(work, "pebble-root.crt");
      writeFileSync(pebbleRoot, pebble.root(HOST_IP, cloud!.worldCa.cert));
      const served = () => run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--cacert", pebbleRoot, "--resolve", `${DOMAIN}:443:${app.publicIp}`, `https://${DOMAIN}/healthz`]);
      for (const deadline = Date.now() + 120_000; served().stdout !== "200" && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 1000));
      expect(served().stdout).toBe("200");
      const clone = run("git", ["-c", `http.curloptResolve=${DOMAIN}:443:${app.publicIp}`, "clone", "-q", `https://${DOMAIN}/alice/hello.git`, join(work, "hello-from-stack")],
        { GIT_SSL_CAINFO: pebbleRoot, GIT_TERMINAL_PROMPT: "0" });
      expect({ status: clone.status, stderr: clone.stderr }).toEqual({ status: 0, stderr: "" });
      // Still read-only after the up that started shithubd: a push is refused with the message; then open.
      const readOnly = run("git", ["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"], { GIT_SSH_COMMAND: gitSsh(alice.key, app.publicIp) });
      expect({ status: readOnly.status === 0, message: readOnly.stderr.includes(`shithub: ${message}`) }).toEqual({ status: false, message: true });
      expect(ops(["maintenance", "off"]).stdout).toContain(`${APP}: maintenance off`);
    }, 900_000);

    it("after the switch: a push over SSH works on the stack, and the old forge takes no write and runs nothing twice", async () => {
      const viaStack = run("git", ["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"], { GIT_SSH_COMMAND: gitSsh(alice.key, app.publicIp) });
      writeFileSync(join(local, "README"), "the first push to the stack\n");
      expect(git(["-C", local, "commit", "-q", "-a", "-m", "first on the stack"]).status).toBe(0);
      const pushed = run("git", ["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"], { GIT_SSH_COMMAND: gitSsh(alice.key, app.publicIp) });
      expect({ before: viaStack.status, status: pushed.status, stderr: pushed.stderr }).toEqual({ before: 0, status: 0, stderr: expect.not.stringMatching(/error|fatal|rejected/i) });
      expect(sqlOn(db, "SELECT count(*) FROM push_events")).toBe("6");
      expect(app.sh("runuser -u shithub -- git -C /data/repos/al/alice/hello.git rev-parse trunk")).toBe(git(["-C", local, "rev-parse", "trunk"]).stdout.trim());

      const retired = await takeover("retire");
      expect(retired.status).toBe(0);
      expect(old.sh("systemctl is-enabled shithubd-web.service shithubd-worker.service shithubd-cron.timer caddy.service postgresql.service || true").split("\n"))
        .toEqual(["disabled", "disabled", "disabled", "disabled", "disabled"]);
      expect(old.ssh("pgrep -x postgres").status).toBe(1);
      expect(old.ssh("crontab -l").stdout).toBe("");
      expect(commitAndPush("pushed to the old box after the switch").status).not.toBe(0);
      expect(old.sh("test -f /data/pgdata/PG_VERSION && test -d /data/repos/al/alice/hello.git && echo kept")).toBe("kept");
    }, 600_000);
  });
});

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { scramSha256Verifier } from "../../components/roles/scram";
import { dropletUserData, Stack } from "./applyPlan";
import type { Plan } from "./applyPlan";
import { ArtifactServer } from "./artifacts";
import { Browser } from "./browser";
import { userKey } from "./userKeys";
import { legacyBox } from "./legacyBox";
import { bootCloud, holdTimers, publicIpOf, SINGLE_DROPLET } from "./machine";
import type { Cloud, Machine } from "./machine";
import { bucketHosts, TestSpaces } from "./spaces";
import { planSingleDroplet } from "./testStack";

// The takeover tier: the live forge as it runs today (tests/host/legacy/), booted in the test
// cloud beside a stack's droplet (the one-droplet shape for now), filled with users and
// repositories with history, then taken over: the stack up in standby, the database replicated
// and the repositories copied while the old forge serves, the window, the checks, the switch.

const DOMAIN = "shithub.test";
const VERSION = "v1.8.0";
const work = mkdtempSync(join(tmpdir(), "shithub-takeover-"));
const artifacts = new ArtifactServer(join(work, "artifacts"), 8093);
const spaces = new TestSpaces(work);
artifacts.publish(VERSION, "migrations=1");
// The live box runs the very binary the stack releases: the same migrations make both schemas.
const legacy = legacyBox(DOMAIN, readFileSync(artifacts.fileOf(VERSION), "utf8"));
const LEGACY_IP = publicIpOf(0);
const STACK_IP = publicIpOf(1);
let standbyPlan: Plan;
let stack: Stack;
let neu: Machine;
const PASSWORD = "correct horse battery staple 42";
let cloud: Cloud | undefined;
let old: Machine;
let caCert = "";
/** alice's key, made when she signs up. */
let alice: { key: string; pub: string };
const local = join(work, "hello");
const SOURCE_SCRIPT = readFileSync(join(__dirname, "..", "..", "templates", "takeover", "shithub-takeover-source.sh"), "utf8");

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


const gitSsh = (key: string): string =>
  `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostName=${LEGACY_IP}`;

beforeAll(async () => {
  standbyPlan = await planSingleDroplet(DOMAIN, VERSION, artifacts, { "shithubd:takeover": "standby" });
  cloud = await bootCloud(work, [
    { name: "shithub-app", userData: legacy.userData, privateIp: "10.40.0.2", vpcPrefix: 24, volume: false },
    { name: SINGLE_DROPLET.name, userData: dropletUserData(standbyPlan, SINGLE_DROPLET.name), privateIp: "10.30.0.2", vpcPrefix: 24, volume: true },
  ], { names: [DOMAIN, ...bucketHosts(standbyPlan)], firewalls: standbyPlan, alongside: (ca) => spaces.up(ca) });
  old = cloud.machine("shithub-app");
  neu = cloud.machine(SINGLE_DROPLET.name);
  artifacts.start(cloud.worldCa);
  await spaces.provide(standbyPlan);
  stack = new Stack(() => neu, () => holdTimers(neu));
  caCert = join(work, "legacy-caddy-root.crt");
  // Caddy's internal CA stands in for Let's Encrypt on the live box: clients here trust it.
  const root = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt";
  for (let i = 0; i < 120 && old.ssh(`test -s ${root}`).status !== 0; i++) execFileSync("sleep", ["1"]);
  if (old.ssh(`test -s ${root}`).status !== 0) throw new Error(`Caddy made no internal CA:\n${old.ssh("tail -n 40 /var/log/cloud-init-output.log; systemctl --failed --no-pager").stdout}`);
  writeFileSync(caCert, old.sh(`cat ${root}`));
}, 1_500_000);

afterAll(() => {
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

  describe("the takeover onto a stack", () => {
    const DB_SCRIPT = readFileSync(join(__dirname, "..", "..", "templates", "takeover", "shithub-takeover-db.sh"), "utf8");
    const password = randomBytes(24).toString("base64url");
    /** The database half on `m`, as root: the script uploaded once, then run with `input` on stdin. */
    const db = (m: Machine, args: string, input = "") => {
      if (m.ssh("test -x /root/shithub-takeover-db").status !== 0) m.sh(`cat > /root/shithub-takeover-db <<'SCRIPT'\n${DB_SCRIPT}SCRIPT\nchmod 0700 /root/shithub-takeover-db`);
      return m.ssh(`/root/shithub-takeover-db ${args}`, input);
    };
    const must = (what: string, r: { status: number; stdout: string; stderr: string }): string => {
      if (r.status !== 0) throw new Error(`${what}: exit ${r.status}\n${r.stderr}`);
      return r.stdout.trim();
    };
    /** Every repository's refs on `m`, one line each, sorted: what a clone of each would get. */
    const refs = (m: Machine): string => m.sh("cd /data/repos && for r in $(find . -name '*.git' -type d -prune | sort); do runuser -u shithub -- git -C \"$r\" for-each-ref --format=\"$r %(refname) %(objectname)\"; done");
    /** The repositories from the old box to the stack's, as root on both (owners kept by name). */
    const copyRepositories = () => {
      const root = `ssh -i ${join(work, "id_ed25519")} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
      const r = run("bash", ["-o", "pipefail", "-c", `${root} root@${LEGACY_IP} 'tar -C /data/repos -cf - .' | ${root} root@${STACK_IP} 'tar -C /data/repos -xpf - --same-owner'`]);
      if (r.status !== 0) throw new Error(`copying the repositories failed:\n${r.stderr}`);
    };

    it("the stack comes up in standby: shithubd installed, not running; no daily dump while the live forge still dumps", async () => {
      await stack.up(standbyPlan);
      expect(neu.sh("systemctl is-active shithubd-web.service shithubd-worker.service shithub-backup.timer || true").split("\n")).toEqual(["inactive", "inactive", "inactive"]);
    }, 900_000);

    it("while the old forge serves: its database replicates into the stack's, and its repositories are copied", () => {
      // The stack's schema from the release's own migrations, as the web unit would have made it.
      must("migrate up", neu.ssh("systemd-run --quiet --wait --pipe --collect -p User=shithub -p Group=shithub -p EnvironmentFile=/etc/shithub/web.env /usr/local/bin/shithubd migrate up"));
      must("source-listen", db(old, `source-listen ${LEGACY_IP}`));
      must("source-prepare", db(old, `source-prepare ${STACK_IP}/32`, `${scramSha256Verifier(password, randomBytes(16))}\n`));
      must("target-subscribe", db(neu, `target-subscribe ${LEGACY_IP} 5432`, `${password}\n`));
      must("target-ready", db(neu, "target-ready 300"));
      copyRepositories();
      // The old forge keeps taking writes meanwhile.
      for (let i = 0; i < 60 && https().status !== "200"; i++) execFileSync("sleep", ["1"]);
      expect(commitAndPush("pushed while the copies run").status).toBe(0);
    }, 600_000);

    it("the window: every row and every ref is equal, git fsck is clean, and the stack serves the pushes from before", async () => {
      must("window-start", source("window-start 120"));
      must("source-caught-up", db(old, "source-caught-up 120"));
      must("target-sequences", db(neu, "target-sequences", `${must("sequences", db(old, "sequences"))}\n`));
      copyRepositories();
      const counts = must("counts", db(old, "counts"));
      expect(counts).toContain("push_events\t3");
      expect(must("counts", db(neu, "counts"))).toBe(counts);
      expect(refs(neu)).toBe(refs(old));
      must("git fsck", neu.ssh("cd /data/repos && for r in $(find . -name '*.git' -type d -prune); do runuser -u shithub -- git -C \"$r\" fsck --no-progress --strict || exit 1; done"));
      must("target-finish", db(neu, "target-finish"));
      must("source-finish", db(old, `source-finish ${STACK_IP}/32`));
      // The switch: the stack leaves standby; its shithubd starts on the taken-over data.
      await stack.up(await planSingleDroplet(DOMAIN, VERSION, artifacts));
      expect(neu.sh("systemctl is-active shithubd-web.service shithubd-worker.service").split("\n")).toEqual(["active", "active"]);
    }, 900_000);

    it("after the switch: a push over SSH works on the stack, and the old forge takes no write and runs nothing twice", () => {
      const viaStack = run("git", ["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"], { GIT_SSH_COMMAND: gitSsh(alice.key).replace(`HostName=${LEGACY_IP}`, `HostName=${STACK_IP}`) });
      writeFileSync(join(local, "README"), "the first push to the stack\n");
      expect(git(["-C", local, "commit", "-q", "-a", "-m", "first on the stack"]).status).toBe(0);
      const pushed = run("git", ["-C", local, "push", "-q", `git@${DOMAIN}:alice/hello.git`, "trunk"], { GIT_SSH_COMMAND: gitSsh(alice.key).replace(`HostName=${LEGACY_IP}`, `HostName=${STACK_IP}`) });
      expect({ before: viaStack.status, status: pushed.status }).toEqual({ before: 0, status: 0 });
      expect(neu.sh("runuser -u postgres -- psql -At -d shithub -c 'SELECT count(*) FROM push_events'")).toBe("4");
      expect(neu.sh(`runuser -u shithub -- git -C /data/repos/al/alice/hello.git rev-parse trunk`)).toBe(git(["-C", local, "rev-parse", "trunk"]).stdout.trim());

      must("retire", source("retire"));
      expect(old.sh("systemctl is-enabled shithubd-web.service shithubd-worker.service shithubd-cron.timer caddy.service postgresql.service || true").split("\n"))
        .toEqual(["disabled", "disabled", "disabled", "disabled", "disabled"]);
      expect(old.ssh("pgrep -x postgres").status).toBe(1);
      expect(old.ssh("crontab -l").stdout).toBe("");
      expect(commitAndPush("pushed to the old box after the switch").status).not.toBe(0);
      expect(old.sh("test -f /data/pgdata/PG_VERSION && test -d /data/repos/al/alice/hello.git && echo kept")).toBe("kept");
    });
  });
});

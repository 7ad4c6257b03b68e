import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Browser } from "./browser";
import { legacyBox } from "./legacyBox";
import { bootCloud, publicIpOf } from "./machine";
import type { Cloud, Machine } from "./machine";

// The takeover tier, its first part: the live forge as it runs today (tests/host/legacy/), booted
// in the test cloud, filled with users and repositories with history, and checked to serve and
// take pushes as the live box does. The takeover onto the production stack builds on it.

const DOMAIN = "shithub.test";
const VERSION = "v1.8.0";
const work = mkdtempSync(join(tmpdir(), "shithub-takeover-"));
const shithubd = readFileSync(join(__dirname, "fake-shithubd.py"), "utf8").replace("@VERSION@", VERSION).replace("@FLAGS@", "migrations=1");
const legacy = legacyBox(DOMAIN, shithubd);
const LEGACY_IP = publicIpOf(0);
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

function newKey(name: string): { key: string; pub: string } {
  const key = join(work, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
  return { key, pub: readFileSync(`${key}.pub`, "utf8").trim() };
}

const gitSsh = (key: string): string =>
  `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o HostName=${LEGACY_IP}`;

beforeAll(async () => {
  cloud = await bootCloud(work, [{ name: "shithub-app", userData: legacy.userData, privateIp: "10.40.0.2", vpcPrefix: 24, volume: false }], { names: [DOMAIN] });
  old = cloud.machine("shithub-app");
  caCert = join(work, "legacy-caddy-root.crt");
  // Caddy's internal CA stands in for Let's Encrypt on the live box: clients here trust it.
  const root = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt";
  for (let i = 0; i < 120 && old.ssh(`test -s ${root}`).status !== 0; i++) execFileSync("sleep", ["1"]);
  if (old.ssh(`test -s ${root}`).status !== 0) throw new Error(`Caddy made no internal CA:\n${old.ssh("tail -n 40 /var/log/cloud-init-output.log; systemctl --failed --no-pager").stdout}`);
  writeFileSync(caCert, old.sh(`cat ${root}`));
}, 1_500_000);

afterAll(() => {
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
    alice = newKey("alice");
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

    it("retire: after the switch nothing of the old forge runs again (no second dump, no WAL into the same bucket), and its data stays", () => {
      expect(source("window-start 60").status).toBe(0);
      const retired = source("retire");
      expect({ status: retired.status, stderr: retired.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("retired") });
      expect(old.sh("systemctl is-enabled shithubd-web.service shithubd-worker.service shithubd-cron.timer caddy.service postgresql.service || true").split("\n"))
        .toEqual(["disabled", "disabled", "disabled", "disabled", "disabled"]);
      expect(old.ssh("pgrep -x postgres").status).toBe(1);
      expect(old.ssh("crontab -l").stdout).toBe("");
      expect(commitAndPush("pushed after the switch, to the old name").status).not.toBe(0);
      expect(old.sh("test -f /data/pgdata/PG_VERSION && test -d /data/repos/al/alice/hello.git && echo kept")).toBe("kept");
    });
  });
});

import { ArtifactServer } from "./artifacts";
import { bootMachine, CONTAINER_IP, SINGLE_DROPLET } from "./machine";
import { BUNDLE_COMMAND, BUNDLE_END } from "../../components/hosts/bundle";
import { platformOf } from "../../components/hosts/platform";
import { db, dbSetupFiles, dbSetupVars } from "../../components/roles/db";
import { roleSetupBundle } from "../../components/roles/setupBundle";
import type { Cloud, Machine } from "./machine";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStackConfig } from "../../components/config/stackConfig";
import { renderEnvFile } from "../../components/env/envFile";
import { resolveDeferred } from "../../components/env/envValues";
import { RELEASE_COMMAND, releaseBundle } from "../../components/release/releaseBundle";
import { parseReleaseReport } from "../../components/release/releaseReport";
import type { HostRelease } from "../../components/release/releaseReport";
import { releaseInputs } from "../../components/release/releasePlan";
import { loadEnvTemplates } from "../../components/env/envTemplate";
import { rawConfig } from "../helpers";

// The real-host tier: the release script that `pulumi up` sends, built by the same functions
// (config -> env files, units, bundle), driven over real SSH into a booted Debian container
// with systemd and PostgreSQL, against a fake shithubd that keeps shithubd's contracts.

const HTTP_PORT = 8099;
const work = mkdtempSync(join(tmpdir(), "shithub-host-"));
const artifacts = new ArtifactServer(join(work, "artifacts"), HTTP_PORT);
const HOST = SINGLE_DROPLET;
const DB_URL = "postgresql://shithub:release-test-pw@127.0.0.1:5432/shithub?sslmode=disable";
const templates = loadEnvTemplates();
let machine: Machine;
let cloud: Cloud | undefined;
const ssh = (command: string, input?: string) => machine.ssh(command, input);
const sh = (command: string) => machine.sh(command);


/** The bundle `pulumi up` would send for this stack config. */
function bundle(version: string, options: { sha?: string; set?: Record<string, string>; secret?: Record<string, string>; s3?: boolean } = {}): string {
  const raw = rawConfig({
    set: { "shithubd:version": version, "shithubd:artifactUrl": artifacts.urlTemplate, "shithubd:artifactSha256": options.sha ?? artifacts.sha(version), "shithubd:healthTimeoutSeconds": "20", ...options.set },
    secret: { ...options.secret },
  });
  const parsed = parseStackConfig(raw, templates);
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
  const resolved = resolveDeferred(parsed.config.env, { s3AccessKey: "DO00HOSTTEST", s3SecretKey: "host-test-secret", databaseUrl: DB_URL });
  // This tier has no object store: without storage.s3, `storage check` checks the repositories' root only (the forge and converge tiers run Spaces).
  const values = options.s3 ? resolved : new Map([...resolved].filter(([name]) => !name.startsWith("SHITHUB_STORAGE__S3__")));
  const env = { web: renderEnvFile(templates.web, values, version).content, worker: renderEnvFile(templates.worker, values, version).content };
  return releaseBundle(releaseInputs(parsed.config, HOST, 0, env));
}

function release(text: string) {
  return ssh(RELEASE_COMMAND, text);
}

/** The report a successful step prints (the stack exports it; production's promotion gate reads staging's). */
function reportOf(r: { stdout: string }): HostRelease {
  const report = parseReleaseReport(r.stdout);
  if (report === undefined) throw new Error(`no release report in stdout: ${JSON.stringify(r.stdout)}`);
  return report;
}
/** The report of the running version's switch, for the steps that must not restart its clock. */
let firstReport: HostRelease;
/** The version bump's report: a later switch must report a later time. */
let bumpedReport: HostRelease;

const health = (): string => sh(`curl -s -o - -w ' %{http_code}' http://127.0.0.1:8080/ || true`);
/** Which release the stable path holds: a regular file (never a link), byte for byte that release's binary. */
const installed = (): string => sh("test -f /usr/local/bin/shithubd && test ! -L /usr/local/bin/shithubd && stat -c '%U:%G %a' /usr/local/bin/shithubd && " +
  "for d in /opt/shithub/releases/v*/; do cmp -s /usr/local/bin/shithubd \"$d/shithubd\" && basename \"$d\"; done || true");
const mainPid = (unit: string): string => sh(`systemctl show -p MainPID --value ${unit}`);
const migrationRuns = (): number => Number(sh(`runuser -u postgres -- psql -At shithub -c 'SELECT count(*) FROM shithub_double.migration_runs'`));

beforeAll(async () => {
  ({ machine, cloud } = await bootMachine(work));
  // The database as the program's db setup step makes it (roles, database, extensions; data on /data).
  const platform = platformOf("debian-12-x64")!;
  const dbStep = roleSetupBundle(db, HOST.name, platform, dbSetupVars(platform),
    dbSetupFiles({ dbPrivateIp: CONTAINER_IP, clientAddresses: {}, clients: [] }, { appPassword: "release-test-pw", backupPassword: "unused-here", appSalt: "c2FsdHNhbHRzYWx0c2FsdA==", backupSalt: "cGVwcGVycGVwcGVycGVwcA==" }));
  const setup = ssh(BUNDLE_COMMAND, dbStep);
  if (setup.status !== 0) throw new Error(setup.stderr);
  artifacts.publish("v1.0.0", "migrations=1");
  artifacts.publish("v1.1.0", "migrations=2");
  artifacts.publish("v1.2.0", "migrations=3");
  artifacts.publish("v1.3.0", "migrations=3,needs-new-var");
  artifacts.publish("v1.4.0", "migrations=3,bad-migration");
  artifacts.publish("v1.5.0", "migrations=2,unhealthy");
  artifacts.publish("v1.6.0", "migrations=2,worker-crash");
  artifacts.publish("v1.2.1", "migrations=3");
  artifacts.publish("v1.7.0", "migrations=2,worker-json-log");
  artifacts.publish("v1.8.0", "migrations=4,bad-migration");
  artifacts.start(cloud.worldCa);
}, 900_000);

afterAll(() => {
  artifacts.stop();
  cloud?.down();
  // The droplets' disks, the bucket store and the clones: several GB a run.
  rmSync(work, { recursive: true, force: true });
});

describe("the release script on a real systemd host", () => {
  it("first install: binary checked and installed, env files root's (ssh.env, without web's secrets, readable by the shithub group), migration applied, web healthy", () => {
    const r = release(bundle("v1.0.0"));
    expect(r.stderr).toContain("shithub-release v1.0.0: released (previous: none); restarted: web worker");
    expect(r.status).toBe(0);
    // The host's clock at the end of the step: within the seconds the step took.
    firstReport = reportOf(r);
    expect(firstReport.version).toBe("v1.0.0");
    expect(Math.abs(Date.parse(firstReport.releasedAt) - Number(sh("date +%s")) * 1000)).toBeLessThan(60_000);
    expect(health()).toBe("shithubd v1.0.0\n 200");
    expect(sh("stat -c '%a %U %G' /etc/shithub/web.env /etc/shithub/worker.env /etc/shithub/ssh.env")).toBe("600 root root\n600 root root\n640 root shithub");
    // The service cannot read, let alone rewrite, its own configuration; git over SSH reads ssh.env.
    expect(sh("runuser -u shithub -- cat /etc/shithub/web.env 2>&1 || true")).toBe("cat: /etc/shithub/web.env: Permission denied");
    const sshEnv = sh("runuser -u shithub -- cat /etc/shithub/ssh.env");
    expect(sshEnv).toContain(`SHITHUB_DATABASE_URL="${DB_URL}"`);
    expect(sshEnv).not.toMatch(/SESSION_KEY|TOTP_KEY|STORAGE__S3__|host-test-secret/);
    expect(installed()).toBe("root:root 755\nv1.0.0");
    expect(sh("systemctl is-active shithubd-worker.service shithubd-cron.timer")).toBe("active\nactive");
    expect(migrationRuns()).toBe(1);
  });

  it("the hardened units really run shithubd as shithub under their sandbox", () => {
    const pid = mainPid("shithubd-web.service");
    expect(sh(`ps -o user= -p ${pid}`)).toBe("shithub");
    expect(sh(`grep -E '^(NoNewPrivs|Seccomp):' /proc/${pid}/status | tr -s '\\t' ' '`)).toBe("NoNewPrivs: 1\nSeccomp: 2");
    expect(sh("systemctl show -p ProtectSystem -p PrivateUsers -p ProtectHome shithubd-web.service").split("\n").sort())
      .toEqual(["PrivateUsers=yes", "ProtectHome=yes", "ProtectSystem=strict"]);
    // The sandbox leaves /data and /var/lib/shithub writable and the rest of the system read-only.
    const mounts = sh(`awk '{ split($6, o, ","); print $5, o[1] }' /proc/${pid}/mountinfo`).split("\n");
    expect(mounts).toEqual(expect.arrayContaining(["/ ro", "/data rw", "/var/lib/shithub rw"]));
  });

  it("running the same release again changes nothing and restarts nothing", () => {
    const before = [mainPid("shithubd-web.service"), mainPid("shithubd-worker.service")];
    const r = release(bundle("v1.0.0"));
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe("shithub-release v1.0.0: unchanged; nothing restarted");
    expect([mainPid("shithubd-web.service"), mainPid("shithubd-worker.service")]).toEqual(before);
    // A no-op step reports the version's own release time: it does not restart a soak.
    expect(reportOf(r)).toEqual(firstReport);
  });

  it("an older host's env files (the service user's) are given to root in place, with no restart", () => {
    const before = [mainPid("shithubd-web.service"), mainPid("shithubd-worker.service")];
    sh("chown shithub:shithub /etc/shithub/web.env /etc/shithub/worker.env && chmod 0640 /etc/shithub/web.env && rm /etc/shithub/ssh.env");
    // Nor had it a record of its release time: its running release's directory dates the last release.
    sh("rm /var/lib/shithub-release/running && touch -d '2026-01-02 03:04:05 UTC' /opt/shithub/releases/v1.0.0");
    const r = release(bundle("v1.0.0"));
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe("shithub-release v1.0.0: released (previous: v1.0.0); restarted: nothing");
    expect(reportOf(r)).toEqual({ version: "v1.0.0", releasedAt: "2026-01-02T03:04:05Z", ran: ["v1.0.0"] });
    firstReport = reportOf(r);
    expect(sh("stat -c '%a %U %G' /etc/shithub/web.env /etc/shithub/worker.env /etc/shithub/ssh.env")).toBe("600 root root\n600 root root\n640 root shithub");
    expect([mainPid("shithubd-web.service"), mainPid("shithubd-worker.service")]).toEqual(before);
  });

  it("a change to worker.env only restarts only the worker", () => {
    const web = mainPid("shithubd-web.service");
    const worker = mainPid("shithubd-worker.service");
    const r = release(bundle("v1.0.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(r.stderr).toContain("restarted: worker");
    expect(r.status).toBe(0);
    // An env-only change restarts the worker, not the version's soak.
    expect(reportOf(r)).toEqual(firstReport);
    expect(mainPid("shithubd-web.service")).toBe(web);
    expect(mainPid("shithubd-worker.service")).not.toBe(worker);
  });

  it("a version bump migrates once and serves the new release", () => {
    const r = release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(r.stderr).toContain("released (previous: v1.0.0); restarted: web worker");
    expect(r.status).toBe(0);
    expect(health()).toBe("shithubd v1.1.0\n 200");
    bumpedReport = reportOf(r);
    expect(bumpedReport.version).toBe("v1.1.0");
    expect(Math.abs(Date.parse(bumpedReport.releasedAt) - Number(sh("date +%s")) * 1000)).toBeLessThan(60_000);
    expect(migrationRuns()).toBe(2);
    expect(sh("runuser -u postgres -- psql -At shithub -c 'SELECT max(version_id) FROM goose_db_version'")).toBe("2");
  });

  const failures: Array<[string, () => string, RegExp]> = [
    ["a checksum mismatch", () => bundle("v1.2.0", { sha: "0".repeat(64) }), /FAILED: checksum mismatch for v1\.2\.0: expected 0{64}, got [0-9a-f]{64}; nothing was changed/],
    // shithubd's own reason comes first, from the sandboxed run (no network, nothing writable).
    ["a config validate failure", () => bundle("v1.3.0"),
      /shithubd config validate \(web\.env\): .*SHITHUB_NEW_THING is required[^\n]*\n(.*\n)*.*FAILED: shithubd v1\.3\.0 config validate rejected the new web\.env; nothing was changed/],
    ["a failed migration", () => bundle("v1.4.0"), /FAILED: shithubd-web did not start \(migration or startup failed\); rolled back to v1\.1\.0/],
    ["a failed health check", () => bundle("v1.5.0"), /FAILED: shithubd-web is not healthy at http:\/\/127\.0\.0\.1:8080\/readyz; rolled back to v1\.1\.0; it is healthy$/m],
    ["a worker that crash-loops", () => bundle("v1.6.0"), /FAILED: shithubd-worker exited after it started; rolled back to v1\.1\.0; it is healthy$/m],
    // shithubd's storage check, with the new binary and web.env, before anything is switched.
    // The repositories' root is /data/repos (the config refuses any other): here it is gone, as on a volume that did not mount.
    ["a repositories' root that is not there", () => {
      sh("mv /data/repos /data/repos.away");
      putBack = () => sh("mv /data/repos.away /data/repos");
      return bundle("v1.2.1", { set: { "shithubd:SHITHUB_WORKERS": "7" } });
    },
      /shithubd storage check: .*repos_root: stat[^\n]*\n(.*\n)*.*FAILED: shithubd v1\.2\.1 storage check failed with the new web\.env \(the repositories' root or the object store\); nothing was changed/],
    ["an object store that does not answer", () => bundle("v1.2.1", { s3: true, set: { "shithubd:SHITHUB_WORKERS": "7" } }),
      /shithubd storage check: .*s3: [^\n]*\n(.*\n)*.*FAILED: shithubd v1\.2\.1 storage check failed/],
    ["a version re-published with another checksum", () => bundle("v1.1.0", { sha: "1".repeat(64), set: { "shithubd:SHITHUB_WORKERS": "7" } }),
      /FAILED: v1\.1\.0 is installed with checksum [0-9a-f]{64}, not 1{64}; a release never changes: publish a new version; nothing was changed/],
  ];
  let putBack: (() => void) | undefined;
  afterEach(() => {
    putBack?.();
    putBack = undefined;
  });
  it.each(failures)("%s exits non-zero with one line, and the old release keeps serving", (_what, make, reason) => {
    const envBefore = sh("sha256sum /etc/shithub/*.env /etc/systemd/system/shithubd-*");
    const r = release(make());
    expect(r.status).toBe(1);
    // A failed step reports nothing: the stack keeps the last successful step's report.
    expect(parseReleaseReport(r.stdout)).toBeUndefined();
    expect(r.stderr.trim().split("\n").filter((l) => l.includes("FAILED"))).toHaveLength(1);
    expect(r.stderr).toMatch(reason);
    expect(health()).toBe("shithubd v1.1.0\n 200");
    expect(installed()).toBe("root:root 755\nv1.1.0");
    expect(sh("sha256sum /etc/shithub/*.env /etc/systemd/system/shithubd-*")).toBe(envBefore);
    expect(sh("systemctl is-active shithubd-web.service shithubd-worker.service")).toBe("active\nactive");
    // The rollback copies (taken while the new binary is validated) go whether it switched or not.
    expect(sh("ls /var/lib/shithub-release")).not.toMatch(/rollback\./);
  });

  it("a download redirected to plain HTTP is refused, though the HTTP server would have served it", () => {
    const url = artifacts.downgradingUrlTemplate.replace("{version}", "v1.2.0");
    // The redirect really leads to the binary over HTTP: only the release's curl options stop it.
    expect(sh(`curl -sSL -o /dev/null -w '%{http_code} %{url_effective}' ${url}`)).toMatch(/^200 http:\/\/releases\.shithub\.test:\d+\/v1\.2\.0\/shithubd$/);
    const r = release(bundle("v1.2.0", { set: { "shithubd:artifactUrl": artifacts.downgradingUrlTemplate } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: download of ${url} failed; nothing was changed`);
    expect(sh("ls /opt/shithub/releases")).not.toContain("v1.2.0");
    expect(health()).toBe("shithubd v1.1.0\n 200");
  });

  it("the migration that failed left no half-applied schema", () => {
    expect(sh("runuser -u postgres -- psql -At shithub -c \"SELECT to_regclass('broken_migration') IS NULL\"")).toBe("t");
    expect(migrationRuns()).toBe(2);
  });

  it("rollback is the same operation with the previous version, without a download, and measured against a bare restart", () => {
    const downloadsBefore = sh("ls /opt/shithub/releases | sort").split("\n");
    const roll = release(bundle("v1.0.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(roll.stderr).toContain("released (previous: v1.1.0); restarted: web worker");
    expect(roll.status).toBe(0);
    // Back on v1.0.0 from now on: its old release time does not count.
    expect(reportOf(roll).version).toBe("v1.0.0");
    // The versions this host switched to, once each: production's gate lets it return to them.
    expect(reportOf(roll).ran).toEqual(["v1.0.0", "v1.1.0"]);
    expect(Date.parse(reportOf(roll).releasedAt)).toBeGreaterThan(Date.parse(bumpedReport.releasedAt));
    expect(health()).toBe("shithubd v1.0.0\n 200");
    // Nothing downloaded: no release directory that was not there before (pruning may take old ones).
    expect(downloadsBefore).toContain("v1.0.0");
    expect(sh("ls /opt/shithub/releases | sort").split("\n").filter((d) => !downloadsBefore.includes(d))).toEqual([]);

    const bump = release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(bump.status).toBe(0);
    const bare = ssh("systemctl restart shithubd-web.service shithubd-worker.service && until curl -sf -o /dev/null http://127.0.0.1:8080/; do sleep 0.1; done");
    expect(bare.status).toBe(0);
    console.log(`release (version bump, incl. health and worker checks) ${bump.ms.toFixed(0)} ms; rollback ${roll.ms.toFixed(0)} ms; ` +
      `bare systemctl restart + first health answer ${bare.ms.toFixed(0)} ms; ratio ${(bump.ms / bare.ms).toFixed(1)}x`);
  });

  describe("the service user cannot reach what root trusts (security review H1)", () => {
    const asShithub = (command: string) => ssh(`runuser -u shithub -- sh -c '${command}'`);

    it("releases, downloads and rollback copies are root's at every level, out of the shithub user's reach", () => {
      expect(sh("stat -c '%U:%G %a' /opt /opt/shithub /opt/shithub/releases /opt/shithub/releases/v1.1.0 /opt/shithub/releases/v1.1.0/shithubd"))
        .toBe(["root:root 755", "root:root 755", "root:root 755", "root:root 755", "root:root 755"].join("\n"));
      expect(sh("stat -c '%U:%G %a' /var/lib/shithub-release")).toBe("root:root 700");
      for (const target of ["/opt/shithub/releases/v1.1.0/shithubd", "/opt/shithub/releases/evil", "/var/lib/shithub-release/rollback.x"]) {
        const r = asShithub(`echo x > ${target}`);
        expect(`${target}: ${r.stderr.trim()}`).toMatch(/Permission denied$/);
      }
      expect(asShithub("mv /opt/shithub/releases/v1.1.0 /opt/shithub/releases/v1.1.0.old").status).not.toBe(0);
      expect(asShithub("ls /var/lib/shithub-release").status).not.toBe(0);
      // shithubd's own state directory holds nothing a release reads back.
      expect(sh("ls -A /var/lib/shithub")).toBe("");
    });

    it("a crafted directory name in the old, service-writable release tree makes root delete nothing but that tree", () => {
      // What a compromised shithubd could leave behind on a host released before the root-owned tree.
      expect(asShithub(`mkdir -p "/var/lib/shithub/releases/x\n1 .ssh" /var/lib/shithub/releases/v0.0.1 && touch -d 2000-01-01 "/var/lib/shithub/releases/x\n1 .ssh"`).status).toBe(0);
      const r = release(bundle("v1.0.0", { set: { "shithubd:keepReleases": "2", "shithubd:SHITHUB_WORKERS": "7" } }));
      expect(r.stderr).toContain("released (previous: v1.1.0)");
      expect(sh("test -s /root/.ssh/authorized_keys && echo kept")).toBe("kept");
      expect(sh("test -e /var/lib/shithub/releases && echo left || echo gone")).toBe("gone");
      expect(release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } })).status).toBe(0);
    });
  });

  describe("the connection (security review L2)", () => {
    it("a bundle cut short on the way never runs", () => {
      const text = bundle("v1.0.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } });
      const r = release(text.slice(0, Math.floor(text.length * 0.9)));
      expect(r.stderr).toBe("shithub: the bundle arrived incomplete; nothing ran\n");
      expect(r.status).toBe(1);
      expect(installed()).toBe("root:root 755\nv1.1.0");
    });

    it("a step's command survives a daemon-reload (every setup reloads systemd): it is the bundle, run by bash, and nothing else", () => {
      // systemd writes a transient unit's command to a file and reads it back on each reload; a
      // step queued behind another step's reload runs what was read back.
      const script = [
        "systemctl daemon-reload",
        "for u in $(systemctl list-units --plain --no-legend 'shithub-step-*' | awk '{print $1}'); do systemctl show -p ExecStart --value \"$u\"; done",
        "journalctl --no-pager -o cat -u 'shithub-step-*' --since '-5min' | grep -c 'unknown escape' || true",
        BUNDLE_END,
      ].join("\n");
      const r = ssh(BUNDLE_COMMAND, `${script}\n`);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const [execStart, escapes] = r.stdout.trim().split("\n");
      expect(execStart).toMatch(/ argv\[\]=\S*bash \/run\/shithub-release\.[A-Za-z0-9]{6} ; /);
      expect(escapes).toBe("0");
      expect(sh("ls /run | grep -c '^shithub-release\\.' || true")).toBe("0");
    });

    it("a connection dropped mid-release leaves the host on one release, healthy, never between", async () => {
      const text = bundle("v1.0.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } });
      const client = spawn("ssh", ["-i", cloud!.key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", `root@${CONTAINER_IP}`, RELEASE_COMMAND], { stdio: ["pipe", "ignore", "ignore"] });
      await new Promise<void>((resolve) => client.stdin.end(text, resolve));
      // Cut it while the release is under way (after the bundle arrived: its unit is running).
      const running = await machine.sshAsync("for i in $(seq 200); do systemctl list-units --no-legend 'shithub-step-*' | grep -q . && exit 0; sleep 0.05; done; exit 1");
      expect(running.status).toBe(0);
      client.kill("SIGKILL");
      sh("for i in $(seq 600); do systemctl list-units --no-legend 'shithub-step-*' | grep -q . || exit 0; sleep 0.1; done; exit 1");
      const linked = installed().split("\n").pop()!;
      expect(linked).toBe("v1.0.0");
      expect(health()).toBe(`shithubd ${linked}\n 200`);
      expect(sh("systemctl is-active shithubd-web.service shithubd-worker.service")).toBe("active\nactive");
      // The bundle (it holds secrets) is gone; only its output files wait in /run for nobody.
      expect(sh("ls /run | grep '^shithub-release\\.' | grep -cv '\\.\\(out\\|err\\)$' || true")).toBe("0");
      expect(release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } })).status).toBe(0);
    });
  });

  it("a host on the old layout (a symlink into a release) moves to the stable path, and shithubd points every repository's hooks at it", () => {
    // The layout before: the units ran a symlink, so shithubd wrote the release directory into each repository's hooks.
    sh("ln -sfn /opt/shithub/releases/v1.1.0/shithubd /usr/local/bin/shithubd.link && mv -fT /usr/local/bin/shithubd.link /usr/local/bin/shithubd");
    ssh(`runuser -u postgres -- psql -X -q -d shithub -v ON_ERROR_STOP=1 -f -`,
      "INSERT INTO users (username) VALUES ('olduser');\nINSERT INTO repos (owner_user_id, name) SELECT id, 'old' FROM users WHERE username = 'olduser';\n");
    const asShithubd = (args: string) => ssh(`systemd-run --quiet --wait --pipe --collect -p User=shithub -p Group=shithub -p EnvironmentFile=/etc/shithub/web.env -- /usr/local/bin/shithubd ${args}`);
    expect(asShithubd("hooks reinstall --repo olduser/old").stdout).toBe("ok: olduser/old\n");
    const hook = "/data/repos/ol/olduser/old.git/hooks/pre-receive";
    expect(sh(`tail -n 1 ${hook}`)).toBe('exec "/opt/shithub/releases/v1.1.0/shithubd" hook pre-receive "$@"');

    const r = release(bundle("v1.0.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(r.stderr).toContain("hooks of every repository now run /usr/local/bin/shithubd");
    expect(r.stderr).toContain("released (previous: v1.1.0); restarted: web worker");
    expect(r.status).toBe(0);
    expect(installed()).toBe("root:root 755\nv1.0.0");
    expect(sh(`tail -n 1 ${hook} /data/repos/ol/olduser/old.git/hooks/post-receive`)).toBe([
      `==> ${hook} <==`, 'exec "/usr/local/bin/shithubd" hook pre-receive "$@"', "",
      "==> /data/repos/ol/olduser/old.git/hooks/post-receive <==", 'exec "/usr/local/bin/shithubd" hook post-receive "$@"'].join("\n"));
    // Installed once: the next release has nothing to move.
    expect(release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } })).stderr).not.toContain("hooks of every repository");
  });

  it("migrations are files, each in its own transaction: one failing leaves the ones before it applied and recorded, and the old release serves on", () => {
    const r = release(bundle("v1.8.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FAILED: shithubd-web did not start \(migration or startup failed\); rolled back to v1\.1\.0; it is healthy$/m);
    expect(sh("runuser -u postgres -- psql -At shithub -c 'SELECT version_id FROM goose_db_version ORDER BY id'")).toBe("1\n2\n3");
    expect(sh("runuser -u postgres -- psql -At shithub -c \"SELECT to_regclass('schema_v3') IS NOT NULL, to_regclass('schema_v4') IS NULL, to_regclass('broken_migration') IS NULL\"")).toBe("t|t|t");
    expect(health()).toBe("shithubd v1.1.0\n 200");
  });

  it.each(["json", "text"])("the worker's start line counts in the log format it is written in (%s)", (format) => {
    const r = release(bundle("v1.7.0", { set: { "shithubd:SHITHUB_LOG__FORMAT": format, "shithubd:SHITHUB_WORKERS": "7" } }));
    expect(r.stderr).toContain("released (previous: ");
    expect(r.status).toBe(0);
    const line = sh(`journalctl -q --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value shithubd-worker.service) | grep 'worker: starting'`);
    expect(line).toMatch(format === "json" ? /^\{"time":"[^"]+","level":"INFO","msg":"worker: starting",/ : /^time=\S+ level=INFO msg="worker: starting" /);
    expect(release(bundle("v1.1.0", { set: { "shithubd:SHITHUB_WORKERS": "7" } })).status).toBe(0);
  });

  it("with the publisher's key in the stack, a binary whose signature another key made is refused; the publisher's own passes (security review M5)", () => {
    const signed = { "shithubd:artifactSigningKey": artifacts.signingKey, "shithubd:SHITHUB_WORKERS": "7" };
    artifacts.forgeSignature("v1.2.1");
    const forged = release(bundle("v1.2.1", { set: signed }));
    expect(forged.status).toBe(1);
    expect(forged.stderr).toContain(`FAILED: the signature ${artifacts.urlTemplate.replace("{version}", "v1.2.1")}.minisig does not verify v1.2.1 with shithubd:artifactSigningKey; nothing was changed`);
    // v1.2.1 was downloaded by an earlier test, before the stack named a key: installed is not trusted.
    expect(installed()).toBe("root:root 755\nv1.1.0");
    expect(health()).toBe("shithubd v1.1.0\n 200");
    // The publisher's own signature passes: the running release, checked again under the key, stays as it is.
    const r = release(bundle("v1.1.0", { set: signed }));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "shithub-release v1.1.0: unchanged; nothing restarted\n" });
  });

  it("keeps only the configured number of releases", () => {
    for (const v of ["v1.0.0", "v1.1.0"]) {
      const r = release(bundle(v, { set: { "shithubd:keepReleases": "2", "shithubd:SHITHUB_WORKERS": "7" } }));
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("released") });
    }
    expect(sh("ls /opt/shithub/releases | sort")).toBe("v1.0.0\nv1.1.0");
  });

  /** A takeover's two keys, as an operator sets them (the live box's address is not reached by the release step). */
  const STANDBY = { "shithubd:takeover": "standby", "shithubd:takeoverSource": "203.0.113.10" };

  it("a takeover's standby installs the release and runs no shithubd (the database is the live forge's copy); leaving it starts shithubd, enabled", () => {
    const keep = { "shithubd:keepReleases": "2", "shithubd:SHITHUB_WORKERS": "7" };
    const states = () => sh("systemctl is-active shithubd-web.service shithubd-worker.service shithubd-cron.timer || true; systemctl is-enabled shithubd-web.service shithubd-worker.service shithubd-cron.timer || true").split("\n");
    const standing = release(bundle("v1.1.0", { set: { ...keep, ...STANDBY } }));
    expect({ status: standing.status, stderr: standing.stderr }).toEqual({ status: 0, stderr: "shithub-release v1.1.0: standby (a takeover or a recovery is in progress): v1.1.0 installed, shithubd not running\n" });
    expect(states()).toEqual(["inactive", "inactive", "inactive", "disabled", "disabled", "disabled"]);
    // A version bump in standby installs the new binary and still starts nothing.
    const bumped = release(bundle("v1.0.0", { set: { ...keep, ...STANDBY } }));
    expect({ status: bumped.status, stderr: bumped.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("standby (a takeover or a recovery is in progress): v1.0.0 installed") });
    expect(sh("sha256sum /usr/local/bin/shithubd | cut -d' ' -f1")).toBe(artifacts.sha("v1.0.0"));
    expect(states()).toEqual(["inactive", "inactive", "inactive", "disabled", "disabled", "disabled"]);
    expect(health()).toMatch(/(^| )000$/); // nothing listens
    // The takeover is done: the same release without standby starts it all, enabled for the next boot.
    const live = release(bundle("v1.0.0", { set: keep }));
    expect({ status: live.status, stderr: live.stderr }).toEqual({ status: 0, stderr: expect.stringContaining("unchanged; started shithubd-web.service shithubd-worker.service shithubd-cron.timer") });
    expect(states()).toEqual(["active", "active", "active", "enabled", "enabled", "enabled"]);
    expect(health()).toMatch(/ 200$/);
  });
});

import { platformOf } from "../../components/hosts/platform";
import { opsFiles } from "../../components/roles/ops";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backupHostFiles } from "../../components/backups/backupHost";
import { readTemplate } from "../../components/templates";
import { backupObserverFiles } from "../../components/roles/backupObserver";
import { drSyncFiles } from "../../components/roles/drSync";
import { reposBackupFiles } from "../../components/roles/reposBackup";
import { metricsFiles } from "../../components/roles/metrics";
import { renderUnits, UNIT_NAMES } from "../../components/release/units";
import type { UnitOptions } from "../../components/release/units";

// systemd-analyze (Debian's systemd; .ci/run installs it) on every rendered unit.
const VARIANTS: Array<[string, UnitOptions]> = [
  ["single host, migrating", { dbLocal: true, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" }],
  ["remote db, not migrating", { dbLocal: false, migrate: false, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" }],
];

/** A root with systemd's own units and executables at the paths the units run, for `verify --root`. */
function verifyRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "units-"));
  cpSync("/usr/lib/systemd", join(root, "usr", "lib", "systemd"), { recursive: true });
  mkdirSync(join(root, "usr", "local", "bin"), { recursive: true });
  writeFileSync(join(root, "usr", "local", "bin", "shithubd"), "#!/bin/sh\n");
  chmodSync(join(root, "usr", "local", "bin", "shithubd"), 0o755);
  mkdirSync(join(root, "bin"), { recursive: true });
  writeFileSync(join(root, "bin", "sh"), "");
  chmodSync(join(root, "bin", "sh"), 0o755);
  mkdirSync(join(root, "etc", "systemd", "system"), { recursive: true });
  return root;
}

const root = verifyRoot();

/** systemd-analyze verify: it exits 0 on unknown keys and bad values, so any output is a failure. */
function verify(name: string, text: string): { status: number | null; output: string } {
  writeFileSync(join(root, "etc", "systemd", "system", name), text);
  const run = spawnSync("systemd-analyze", ["verify", `--root=${root}`, `/etc/systemd/system/${name}`], {
    encoding: "utf8",
    env: { ...process.env, SYSTEMD_COLORS: "0" },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

function exposure(name: string, text: string): number {
  const file = join(root, name);
  writeFileSync(file, text);
  const run = spawnSync("systemd-analyze", ["security", "--offline=true", file], { encoding: "utf8", env: { ...process.env, SYSTEMD_COLORS: "0" } });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(`${run.stdout}${run.stderr}`);
  if (!m) throw new Error(`no exposure level in: ${run.stdout}${run.stderr}`);
  return Number(m[1]);
}

describe.each(VARIANTS)("units, %s", (_what, options) => {
  const units = renderUnits(options);

  it.each([...UNIT_NAMES])("%s passes systemd-analyze verify with no output", (name) => {
    expect(verify(name, units[name])).toEqual({ status: 0, output: "" });
  });

  it.each(["shithubd-web.service", "shithubd-worker.service", "shithubd-cron.service"] as const)("%s scores at most 2.0 in systemd-analyze security", (name) => {
    const score = exposure(name, units[name]);
    console.log(`systemd-analyze security --offline=true ${name} (${_what}): ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

describe("backup units", () => {
  const files = backupHostFiles({
    host: "h", dump: true, wal: true, dbLocal: true, databaseUrl: "postgresql://x@127.0.0.1/x", platform: platformOf("ubuntu-24-04-x64")!,
    spaces: { provider: "DigitalOcean", endpoint: "e", buckets: { backups: "b", wal: "w" } }, recipients: ["age1example"],
    dumpKey: { accessKey: "a", secretKey: "s" }, walKey: { accessKey: "a", secretKey: "s" },
  });
  const units = Object.keys(files).filter((n) => /\.(service|timer)$/.test(n));

  it("are all there", () => {
    expect(units.sort()).toEqual(["shithub-backup-failed.service", "shithub-backup.service", "shithub-backup.timer",
      "shithub-basebackup.service", "shithub-basebackup.timer",
      "shithub-dump-drill-failed.service", "shithub-dump-drill.service", "shithub-dump-drill.timer"]);
  });

  it.each(units)("%s passes systemd-analyze verify with no output", (name) => {
    for (const bin of ["shithub-backup-daily", "shithub-basebackup", "shithub-restore-drill"]) {
      writeFileSync(join(root, "usr", "local", "bin", bin), "#!/bin/sh\n");
      chmodSync(join(root, "usr", "local", "bin", bin), 0o755);
    }
    expect(verify(name, files[name]!)).toEqual({ status: 0, output: "" });
  });

  // The dump and its failure hook run as their own user (at most 2.0); the base backup as root (at most 4.0).
  it.each([["shithub-backup.service", "shithub-backup", 2.0], ["shithub-backup-failed.service", "shithub-backup", 2.0], ["shithub-basebackup.service", undefined, 4.0]] as const)(
    "%s runs as %s and scores at most %s in systemd-analyze security", (name, user, limit) => {
      if (user === undefined) expect(files[name]).not.toMatch(/^User=/m);
      else expect(files[name]).toMatch(new RegExp(`^User=${user}$`, "m"));
      const score = exposure(name, files[name]!);
      console.log(`systemd-analyze security --offline=true ${name}: ${score}`);
      expect(score).toBeLessThanOrEqual(limit);
    });

  // The weekly drill runs as root (it starts a scratch server as postgres); its failure hook, root with no capability.
  it.each([["shithub-dump-drill.service", 3.0], ["shithub-dump-drill-failed.service", 2.0]] as const)("%s scores at most %s in systemd-analyze security", (name, limit) => {
    const score = exposure(name, files[name]!);
    console.log(`systemd-analyze security --offline=true ${name}: ${score}`);
    expect(score).toBeLessThanOrEqual(limit);
  });

  it("the weekly drill runs on Sundays after the daily dump, with a randomized delay, catches up after downtime, and failures are recorded", () => {
    expect(files["shithub-dump-drill.timer"]).toContain("OnCalendar=Sun *-*-* 04:30:00 UTC\nRandomizedDelaySec=30min\nPersistent=true\n");
    expect(files["shithub-dump-drill.service"]).toContain("OnFailure=shithub-dump-drill-failed.service\n");
    expect(files["shithub-dump-drill.service"]).toContain("StandardInput=file:/etc/shithub-backup/drill.key\nExecStart=/usr/local/bin/shithub-restore-drill --integrity\n");
  });

  it("the daily timer runs at 03:17 UTC, catches up after downtime, and failures are recorded", () => {
    expect(files["shithub-backup.timer"]).toContain("OnCalendar=*-*-* 03:17:00 UTC\nPersistent=true\n");
    expect(files["shithub-backup.service"]).toContain("OnFailure=shithub-backup-failed.service\n");
  });
});

describe("the backup heartbeat units on web hosts", () => {
  const files = backupObserverFiles({ backupsBucket: "b", backupsDrBucket: "bd" });

  it.each(["shithub-backup-heartbeat.service", "shithub-backup-heartbeat.timer"])("%s passes systemd-analyze verify with no output", (name) => {
    writeFileSync(join(root, "usr", "local", "bin", "shithub-backup-heartbeat"), "#!/bin/sh\n");
    chmodSync(join(root, "usr", "local", "bin", "shithub-backup-heartbeat"), 0o755);
    expect(verify(name, files[name]!)).toEqual({ status: 0, output: "" });
  });

  it("the service runs as shithub and scores at most 2.0 in systemd-analyze security", () => {
    expect(files["shithub-backup-heartbeat.service"]).toMatch(/^User=shithub$/m);
    const score = exposure("shithub-backup-heartbeat.service", files["shithub-backup-heartbeat.service"]!);
    console.log(`systemd-analyze security --offline=true shithub-backup-heartbeat.service: ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

describe.each([
  ["the repositories' backup units on app hosts", reposBackupFiles(), ["shithub-repos-backup", "shithub-repos-drill"]],
  ["the DR copy's units on the monitoring host", drSyncFiles({ backups: "b", backupsDr: "bd", wal: "w", walDr: "wd", repos: "r", reposDr: "rd", objects: "o", objectsDr: "od" }), ["shithub-dr-sync"]],
])("%s", (_what, files, scripts) => {
  const units = Object.keys(files).filter((n) => /\.(service|timer)$/.test(n));

  it.each(units)("%s passes systemd-analyze verify with no output", (name) => {
    for (const bin of scripts) {
      writeFileSync(join(root, "usr", "local", "bin", bin), "#!/bin/sh\n");
      chmodSync(join(root, "usr", "local", "bin", bin), 0o755);
    }
    expect(verify(name, files[name]!)).toEqual({ status: 0, output: "" });
  });

  it.each(units.filter((n) => n.endsWith(".service")))("%s runs as its own user and scores at most 2.0 in systemd-analyze security", (name) => {
    expect(files[name]).toMatch(/^User=shithub-(repos-backup|dr)$/m);
    const score = exposure(name, files[name]!);
    console.log(`systemd-analyze security --offline=true ${name}: ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
  });
});

describe("the metadata guard every host runs from early boot", () => {
  const unit = readTemplate("cloud-init", "shithub-metadata-guard.service");

  it("passes systemd-analyze verify with no output", () => {
    mkdirSync(join(root, "usr", "sbin"), { recursive: true });
    writeFileSync(join(root, "usr", "sbin", "nft"), "#!/bin/sh\n");
    chmodSync(join(root, "usr", "sbin", "nft"), 0o755);
    expect(verify("shithub-metadata-guard.service", unit)).toEqual({ status: 0, output: "" });
  });

  it("(root, CAP_NET_ADMIN only) scores at most 4.0 in systemd-analyze security", () => {
    const score = exposure("shithub-metadata-guard.service", unit);
    console.log(`systemd-analyze security --offline=true shithub-metadata-guard.service: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

describe("the checks can fail", () => {
  it("verify reports a bad value, which it does not count as an error", () => {
    const bad = renderUnits(VARIANTS[0]![1])["shithubd-web.service"].replace("Type=simple", "Type=simpel");
    const result = verify("bad.service", bad);
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/Failed to parse service type, ignoring: simpel/);
  });

  it("a unit with only the existing deployment's hardening directives scores far above 2.0", () => {
    const existing = `[Unit]\nDescription=shithub web server\n[Service]\nType=simple\nUser=shithub\nGroup=shithub\nExecStart=/usr/local/bin/shithubd web\n` +
      "NoNewPrivileges=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nReadWritePaths=/data /var/lib/shithub\n" +
      "ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\nRestrictNamespaces=yes\n" +
      "RestrictRealtime=yes\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\nSystemCallArchitectures=native\n";
    const score = exposure("existing-web.service", existing);
    console.log(`systemd-analyze security --offline=true existing shithubd-web.service: ${score}`);
    expect(score).toBeGreaterThan(6);
  });
});

describe("the host metrics job every host runs", () => {
  it("shithub-node-metrics.service, a root job, passes systemd-analyze verify and scores at most 4.0 in systemd-analyze security", () => {
    const files = metricsFiles({ env: "staging", host: "h", mode: { kind: "agent", receiver: "http://10.0.0.5:9090/api/v1/write" }, caddy: true, postgres: true, domain: "example.org" });
    writeFileSync(join(root, "usr", "local", "bin", "shithub-node-metrics"), "#!/bin/sh\n");
    chmodSync(join(root, "usr", "local", "bin", "shithub-node-metrics"), 0o755);
    expect(verify("shithub-node-metrics.service", files["shithub-node-metrics.service"]!)).toEqual({ status: 0, output: "" });
    const score = exposure("shithub-node-metrics.service", files["shithub-node-metrics.service"]!);
    console.log(`systemd-analyze security --offline=true shithub-node-metrics.service: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

describe("the drift check every host runs", () => {
  const files = opsFiles({ host: { name: "h", size: "s-1vcpu-2gb", roles: ["app"] }, steps: ["shithub-ops-setup"], bootstrap: [] });
  it.each(["shithub-drift.service", "shithub-drift.timer"])("%s passes systemd-analyze verify with no output", (name) => {
    writeFileSync(join(root, "usr", "local", "bin", "shithub-drift"), "#!/bin/sh\n");
    chmodSync(join(root, "usr", "local", "bin", "shithub-drift"), 0o755);
    writeFileSync(join(root, "etc", "systemd", "system", "shithub-drift.service"), files["shithub-drift.service"]!);
    expect(verify(name, files[name]!)).toEqual({ status: 0, output: "" });
  });

  it("shithub-drift.service, a root job that reads and writes only its result, scores at most 4.0 in systemd-analyze security", () => {
    const score = exposure("shithub-drift.service", files["shithub-drift.service"]!);
    console.log(`systemd-analyze security --offline=true shithub-drift.service: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

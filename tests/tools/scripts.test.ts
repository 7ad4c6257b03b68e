import { platformOf } from "../../components/hosts/platform";
import { auditBundle } from "../../components/ops/audit";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backupSetupBundle } from "../../components/backups/backupHost";
import { releaseBundle } from "../../components/release/releaseBundle";
import { renderUnits } from "../../components/release/units";
import { TEMPLATES_DIR } from "../../components/templates";

// shellcheck (Debian's; .ci/run installs it) on every host script, as written and as sent.
function shellcheck(file: string): { status: number | null; output: string } {
  const run = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const dir = mkdtempSync(join(tmpdir(), "scripts-"));

describe("the day-2 tools pass shellcheck", () => {
  const tools = readdirSync(join(TEMPLATES_DIR, "ops")).filter((f) => f.endsWith(".sh"));
  it.each(tools)("templates/ops/%s", (script) => {
    expect(shellcheck(join(TEMPLATES_DIR, "ops", script))).toEqual({ status: 0, output: "" });
  });
  it("the audit bundle as sent", () => {
    const dir = mkdtempSync(join(tmpdir(), "ops-bundles-"));
    const file = join(dir, "audit.sh");
    writeFileSync(file, auditBundle("shithub-app", "v1.8.0", { who: "Ann O'Neil <ann@example.com>", commit: "abc-dirty" }, "0123456789ab"));
    expect(shellcheck(file)).toEqual({ status: 0, output: "" });
  });
});

describe("host scripts pass shellcheck", () => {
  const scripts = readdirSync(join(TEMPLATES_DIR, "scripts"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(join(TEMPLATES_DIR, "scripts").length + 1));
  it.each(scripts)("templates/scripts/%s", (script) => {
    expect(shellcheck(join(TEMPLATES_DIR, "scripts", script))).toEqual({ status: 0, output: "" });
  });

  it("the backup setup bundle as sent", () => {
    const file = join(dir, "backup-setup.sh");
    writeFileSync(file, backupSetupBundle({
      host: "shithub-db", dump: true, wal: true, dbLocal: true, databaseUrl: "postgresql://shithub:p@127.0.0.1/shithub", platform: platformOf("ubuntu-24-04-x64")!,
      spaces: { provider: "DigitalOcean", endpoint: "nyc3.digitaloceanspaces.com", buckets: { backups: "b", wal: "w" } }, recipients: ["age1example"],
      dumpKey: { accessKey: "AK", secretKey: "SK" }, walKey: { accessKey: "AK2", secretKey: "SK2" },
      drillIdentity: "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    }));
    expect(shellcheck(file)).toEqual({ status: 0, output: "" });
  });

  it.each([
    ["a download", { url: "https://releases.example.org/shithubd/v1.8.0/shithubd" }],
    ["an upload", { uploadedTo: "/root/shithubd-v1.8.0-0123456789ab.upload" }],
  ])("the release bundle as sent, for %s", (_what, artifact) => {
    const file = join(dir, "bundle.sh");
    writeFileSync(file, releaseBundle({
      host: "shithub-app", version: "v1.8.0", artifact, sha256: "0".repeat(64), signingKey: "",
      healthUrls: ["http://127.0.0.1:8080/readyz"], healthTimeoutSeconds: 60, keepReleases: 5, standby: false,
      files: { "web.env": 'SHITHUB_X="it\'s $HOME"\n', "worker.env": "SHITHUB_Y=\"1\"\n", "ssh.env": "SHITHUB_Z=\"2\"\n", ...renderUnits({ dbLocal: true, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" }) },
    }));
    expect(shellcheck(file)).toEqual({ status: 0, output: "" });
  });

  it("shellcheck does report a problem (the checks above can fail)", () => {
    const file = join(dir, "bad.sh");
    writeFileSync(file, "#!/bin/bash\nrm -rf $1/\n");
    expect(shellcheck(file).status).not.toBe(0);
  });
});

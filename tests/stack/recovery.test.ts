import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOffline } from "../../offline/run";
import { unwrapSecret } from "../../offline/summary";
import { loadStackFile } from "../../offline/stackFile";
import { ageKeyPair, BACKUP_KEY, ESCROW_KEY, stagedFile } from "../helpers";
import { planOf, ROOT, stackCopy } from "./stackCopy";

/** The production stack file held for a recovery from its DR copies (docs/runbooks/recover-an-environment.md). */
const RECOVERY = JSON.stringify({ from: "dr", region: "sfo3" });
type Plan = Awaited<ReturnType<typeof planOf>>;
const resource = (plan: Plan, name: string) => {
  const found = plan.resources.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no resource ${name} in the plan`);
  return found;
};
const bundleOf = (plan: Plan, name: string) => String(unwrapSecret(resource(plan, name).inputs.stdin));

describe("a stack held for a recovery (shithubd:recovery)", () => {
  let normal: Plan;
  let held: Plan;
  beforeAll(async () => {
    normal = await planOf(stackCopy("production", () => undefined), "production");
    held = await planOf(stackCopy("production", (c) => {
      c["shithubd:recovery"] = RECOVERY;
    }), "production");
  }, 120_000);

  it("makes a key that reads the lost environment's four buckets, and writes none", () => {
    expect(resource(held, "shithub-production-recovery").inputs.grants).toEqual(
      ["shithub-wal-dr", "shithub-repos-dr", "shithub-objects-dr", "shithub-backups-dr"].map((bucket) => ({ bucket, permission: "read" })));
    expect(normal.resources.map((r) => r.name)).not.toContain("shithub-production-recovery");
  });

  it("changes no droplet's user data: setting the key on a stack replaces no host", () => {
    const userData = (plan: Plan) => plan.resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet").map((r) => [r.name, r.inputs.userData]);
    expect(userData(held)).toEqual(userData(normal));
  });

  it("installs shithubd without running it, and holds every backup that would copy the empty environment over the lost one", () => {
    expect(bundleOf(held, "shithub-app-release")).toContain("STANDBY=1");
    expect(bundleOf(normal, "shithub-app-release")).toContain("STANDBY=0");
    const dbSetup = bundleOf(held, "shithub-db-backup-setup");
    expect(dbSetup).toContain("HOLD_WAL=1");
    expect(stagedFile(dbSetup, "shithub-archive.conf")).toContain(`archive_command = 'echo "WAL archiving is held while shithubd:recovery is set" >&2; exit 1'`);
    expect(stagedFile(bundleOf(normal, "shithub-db-backup-setup"), "shithub-archive.conf")).toContain("archive_command = '/usr/local/bin/shithub-wal-archive %p %f'");
    expect(bundleOf(held, "shithub-backup-backup-setup")).toContain("HOLD_DUMP=1");
    expect(bundleOf(held, "shithub-app-repos-backup-setup")).toContain("HOLD=1");
    expect(bundleOf(normal, "shithub-app-repos-backup-setup")).toContain("HOLD=0");
  });

  it("gives the db and app hosts the recovery's settings: the lost WAL, repositories and objects, read with the recovery key", () => {
    const db = bundleOf(held, "shithub-db-db-recovery-setup");
    expect(stagedFile(db, "db.env")).toMatch(/^RECOVERY_WAL_REMOTE=recovery:shithub-wal-dr$/m);
    expect(stagedFile(db, "db-rclone.conf")).toMatch(/^endpoint = https:\/\/sfo3\.digitaloceanspaces\.com$/m);
    const app = bundleOf(held, "shithub-app-app-recovery-setup");
    expect(stagedFile(app, "restic.env")).toMatch(/^RESTIC_REPOSITORY=s3:https:\/\/sfo3\.digitaloceanspaces\.com\/shithub-repos-dr$/m);
    expect(stagedFile(app, "app.env")).toMatch(/^RECOVERY_OBJECTS_SOURCE=recovery:shithub-objects-dr$/m);
    expect(stagedFile(app, "app.env")).toMatch(/^RECOVERY_OBJECTS_TARGET=own:shithub-objects$/m);
    expect(normal.resources.map((r) => r.name).filter((n) => n.includes("recovery"))).toEqual([]);
  });

  it("shows the recovery's settings and tools in the plan, and keeps its keys and the restic password in the bundles only", () => {
    const shown = Object.fromEntries(held.files.filter((f) => f.path.startsWith("/etc/shithub-recovery/") || /shithub-recover-(repos|objects)$/.test(f.path))
      .map((f) => [`${f.host}:${f.path}`, f.secret ? "secret" : f.content === "" ? "only its path" : "shown"]));
    expect(shown).toEqual({
      "shithub-app:/etc/shithub-recovery/app.env": "shown", "shithub-app:/usr/local/bin/shithub-recover-objects": "shown", "shithub-app:/usr/local/bin/shithub-recover-repos": "shown",
      "shithub-app:/etc/shithub-recovery/app-rclone.conf": "only its path", "shithub-app:/etc/shithub-recovery/restic.env": "only its path",
      "shithub-db:/etc/shithub-recovery/db.env": "shown", "shithub-db:/etc/shithub-recovery/db-rclone.conf": "only its path",
    });
    for (const file of held.files.filter((f) => !f.secret)) expect(file.content).not.toMatch(/secret_access_key = \S|RESTIC_PASSWORD=\S/);
  });

  it("puts no two files on one path of a host, even on staging's one host with every role held for a recovery", async () => {
    const stagingHeld = await planOf(stackCopy("staging", (c) => {
      c["shithubd:recovery"] = JSON.stringify({ from: "primary", region: "nyc3" });
    }), "staging");
    for (const plan of [held, normal, stagingHeld]) {
      const paths = plan.files.map((f) => `${f.host}:${f.path}`);
      expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
    }
    expect(stagingHeld.files.filter((f) => f.path.startsWith("/etc/shithub-recovery/")).map((f) => f.path).sort()).toEqual(
      ["app-rclone.conf", "app.env", "db-rclone.conf", "db.env", "restic.env"].map((n) => `/etc/shithub-recovery/${n}`));
  });

  it("from the primaries, in place: the objects are already where shithubd reads them", async () => {
    const inPlace = await planOf(stackCopy("production", (c) => {
      c["shithubd:recovery"] = JSON.stringify({ from: "primary", region: "nyc3" });
    }), "production");
    expect(stagedFile(bundleOf(inPlace, "shithub-app-app-recovery-setup"), "app.env")).toMatch(/^RECOVERY_OBJECTS_TARGET=$/m);
  });

  it("refuses a recovery during a takeover, and a value that is not an object, naming the key and the fix", async () => {
    const refused = async (edit: Record<string, string>) => {
      const result = await runOffline(loadStackFile(stackCopy("production", (c) => Object.assign(c, edit)), "production"));
      return result.ok ? "accepted" : result.message;
    };
    expect(await refused({ "shithubd:recovery": RECOVERY, "shithubd:takeover": "standby", "shithubd:takeoverSource": "203.0.113.10" }))
      .toContain("shithubd:recovery: is set while shithubd:takeover is too");
    expect(await refused({ "shithubd:recovery": "dr" })).toContain("shithubd:recovery: must be a JSON object");
    expect(await refused({ "shithubd:recovery": JSON.stringify({ from: "dr", region: "mars1" }) })).toMatch(/shithubd:recovery: 'region' must be[^]*pulumi config set shithubd:recovery/);
  });
});

describe("npm run recover refuses before it reaches any host", () => {
  const recover = (dir: string, identity: string) => {
    const file = join(dir, "identity");
    writeFileSync(file, identity, { mode: 0o600 });
    // An address nothing answers on: a refusal must come before any connection.
    const r = spawnSync(join(ROOT, "node_modules", ".bin", "ts-node"), ["--swc", join(ROOT, "scripts", "recover.ts"), "-s", "production", "--identity", file, "--app", "192.0.2.1", "--dir", dir],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, SHITHUB_SSH: "false" } });
    return { code: r.status, stderr: r.stderr.trim() };
  };

  it("a stack that is not held for a recovery, with the command that holds it", () => {
    expect(recover(stackCopy("production", () => undefined), `${BACKUP_KEY.identity}\n`)).toEqual({
      code: 1,
      stderr: expect.stringMatching(/^error: stack production: shithubd:recovery is not set in .*Pulumi\.production\.yaml, so its hosts are not held[^]*Fix: pulumi config set shithubd:recovery '\{"from":"dr","region":"<the DR region>"\}' -s production && pulumi up -s production$/),
    });
  });

  it("an identity that is none of the stack's recipients, and a file that is no identity", () => {
    const dir = stackCopy("production", (c) => {
      c["shithubd:recovery"] = RECOVERY;
      c["shithubd:backupRecipients"] = JSON.stringify([BACKUP_KEY.recipient, ESCROW_KEY.recipient]);
    });
    const stranger = ageKeyPair();
    expect(recover(dir, `${stranger.identity}\n`)).toEqual({ code: 1, stderr: expect.stringContaining(`is ${stranger.recipient}, which is not one of stack production's shithubd:backupRecipients: it opens none of the backups`) });
    expect(recover(dir, "not a key\n")).toEqual({ code: 1, stderr: expect.stringContaining("holds no age identity") });
  });
});

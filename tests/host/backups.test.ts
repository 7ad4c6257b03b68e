import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { backupSetupBundle, preReleaseBackupCommand } from "../../components/backups/backupHost";
import { BUNDLE_COMMAND } from "../../components/hosts/bundle";
import { bootMachine } from "./machine";
import { radosgwBackupInputs } from "./testStack";
import type { Cloud, Machine } from "./machine";

// Backups for real: PostgreSQL inside the booted container, Ceph radosgw (what Spaces runs on)
// on the host, and the scripts, units and timers the backup setup step installs, driven over SSH.

const work = mkdtempSync(join(tmpdir(), "shithub-backup-"));
const rgw = join(work, "rgw");
const RGW_SH = join(__dirname, "rgw.sh");
const ACCESS = "HOSTTESTACCESS";
const SECRET = "hosttestsecret";
const BUCKETS = { backups: "t-backups", backupsDr: "t-backups-dr", wal: "t-wal", walDr: "t-wal-dr" };
const DB_URL = "postgresql://shithub:backup-test-pw@127.0.0.1:5432/shithub";
let machine: Machine;
let cloud: Cloud | undefined;
const sh = (command: string) => machine.sh(command);

/** rclone on the host, with its own view of the buckets (not the container's). */
const rcloneConf = join(work, "rclone.conf");
function rclone(...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, RCLONE_CONFIG: rcloneConf };
  delete env.AWS_CA_BUNDLE; // rclone refuses a custom CA bundle with its own transport
  return execFileSync("rclone", args, { env, encoding: "utf8" }).trim();
}
const objects = (bucket: string, prefix = ""): Array<{ Path: string; Size: number }> =>
  JSON.parse(rclone("lsjson", "--recursive", "--files-only", "--s3-no-check-bucket", `s:${bucket}/${prefix}`)) as Array<{ Path: string; Size: number }>;

const heartbeat = () => sh("cat /var/lib/shithub-backup/last-success 2>/dev/null || echo none");
const localDumps = () => sh("ls /var/backups/shithub | sort").split("\n").filter((l) => l !== "");
const SOURCE_COUNTS = "goose_db_version 3\nissues 5000\nrepos 20000";

beforeAll(async () => {
  execFileSync("bash", [RGW_SH, "up", rgw], { stdio: "inherit", timeout: 600_000 });
  writeFileSync(rcloneConf, `[s]\ntype = s3\nprovider = Ceph\nenv_auth = false\naccess_key_id = ${ACCESS}\nsecret_access_key = ${SECRET}\nendpoint = http://127.0.0.1:7480\n`);
  for (const b of Object.values(BUCKETS)) rclone("mkdir", `s:${b}`);
  ({ machine, cloud } = await bootMachine(work));
  sh(`runuser -u postgres -- psql -q -c "CREATE ROLE shithub LOGIN PASSWORD 'backup-test-pw'" && runuser -u postgres -- createdb -O shithub shithub`);
  sh(`psql -q '${DB_URL}' -c "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint, is_applied bool DEFAULT true);
    INSERT INTO goose_db_version (version_id) VALUES (1), (2), (3);
    CREATE TABLE repos (id bigserial PRIMARY KEY, name text, meta jsonb);
    INSERT INTO repos (name, meta) SELECT 'repo-' || g, jsonb_build_object('stars', g % 97) FROM generate_series(1, 20000) g;
    CREATE INDEX ON repos (name);
    CREATE TABLE issues (id bigserial PRIMARY KEY, repo_id bigint REFERENCES repos, title text);
    INSERT INTO issues (repo_id, title) SELECT 1 + g % 20000, 'issue ' || g FROM generate_series(1, 5000) g;"`);
}, 1_200_000);

afterAll(() => {
  cloud?.down();
  spawnSync("bash", [RGW_SH, "down", rgw], { stdio: "inherit" });
  // The droplets' disks, the bucket store and the clones: several GB a run.
  rmSync(work, { recursive: true, force: true });
});

describe("the backup system on a real host", () => {
  it("the setup step installs scripts, units, timers and WAL archiving", () => {
    const bundle = backupSetupBundle({ ...radosgwBackupInputs(BUCKETS, ACCESS, SECRET), dump: true, wal: true, databaseUrl: DB_URL });
    const r = machine.ssh(BUNDLE_COMMAND, bundle);
    expect(r.stderr).toMatch(/shithub-backup-setup: installed; changed: .*shithub-archive\.conf; timers: shithub-backup\.timer shithub-dr-sync\.timer shithub-basebackup\.timer/);
    expect(r.status).toBe(0);
    expect(sh("systemctl is-enabled shithub-backup.timer shithub-dr-sync.timer shithub-basebackup.timer")).toBe("enabled\nenabled\nenabled");
    expect(sh("systemctl show -p TimersCalendar --value shithub-backup.timer")).toContain("OnCalendar=*-*-* 03:17:00 UTC");
    expect(sh("runuser -u postgres -- psql -At -c 'SHOW archive_mode'")).toBe("on");
    expect(sh("stat -c '%a %U %G' /etc/shithub-backup/rclone.conf")).toBe("640 root postgres");
    // The database password: in root's pgpass only, never in the settings (nor so in pg_dump's argv).
    expect(sh("stat -c '%a %U %G' /etc/shithub-backup/pgpass")).toBe("600 root root");
    expect(sh("grep -c backup-test-pw /etc/shithub-backup/backup.env || true")).toBe("0");
    // Idempotent: a second run changes nothing and does not restart PostgreSQL.
    const pid = sh("systemctl show -p MainPID --value postgresql@15-main.service");
    const again = machine.ssh(BUNDLE_COMMAND, bundle);
    expect(again.stderr).toContain("installed; changed: nothing");
    expect(sh("systemctl show -p MainPID --value postgresql@15-main.service")).toBe(pid);
  });

  let roundTripMs = 0;
  it("the daily backup unit dumps, checks, uploads to daily/YYYY/MM/DD/ and records the success", () => {
    const start = performance.now();
    sh("systemctl start shithub-backup.service");
    roundTripMs += performance.now() - start;
    const [dump, ...rest] = objects(BUCKETS.backups, "daily");
    expect(rest).toEqual([]);
    expect(dump!.Path).toMatch(/^\d{4}\/\d{2}\/\d{2}\/shithub-\d{8}T\d{6}Z\.dump$/);
    const local = localDumps();
    expect(local).toHaveLength(1);
    expect(dump!.Size).toBe(Number(sh(`stat -c %s /var/backups/shithub/${local[0]}`)));
    expect(dump!.Size).toBeGreaterThan(10_000);
    expect(Number(heartbeat())).toBeGreaterThan(1_700_000_000);
  });

  it("the restore drill restores the newest dump into a scratch server with the same row counts", () => {
    const start = performance.now();
    const r = machine.ssh("DRILL_JOBS=4 /usr/local/bin/shithub-restore-drill");
    roundTripMs += performance.now() - start;
    expect(r.stderr).toMatch(/shithub-restore-drill: restored daily\/.*\.dump in \d+ s/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(SOURCE_COUNTS);
    expect(sh("ls /var/tmp | grep -c shithub-drill || true")).toBe("0");
    console.log(`backup -> restore round trip (dump + upload + download + pg_restore --jobs=4 + smoke): ${roundTripMs.toFixed(0)} ms, row counts identical (${SOURCE_COUNTS.replace(/\n/g, ", ")})`);
  });

  it("the drill refuses a planted dump that tries to run a program on the host (it restores as an unprivileged role)", () => {
    // Anyone who can write the bucket can plant a dump. This one refreshes a materialized view
    // whose function, in a database named drill, has the server run a program as postgres.
    const escaped = "/var/tmp/shithub-escaped";
    const asPostgres = (sql: string, db = "postgres") => {
      const r = machine.ssh(`runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d ${db}`, sql);
      if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
    };
    const remote = ". /etc/shithub-backup/backup.env && export RCLONE_CONFIG && rclone --s3-no-check-bucket";
    const wasRun = () => sh(`test -e ${escaped} && echo escaped || echo contained`);
    asPostgres("CREATE DATABASE planted");
    try {
      asPostgres(`CREATE FUNCTION escape() RETURNS int LANGUAGE plpgsql AS $f$
        BEGIN
          IF current_database() = 'drill' THEN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${escaped}'''; END IF;
          RETURN 1;
        END $f$;
        CREATE MATERIALIZED VIEW planted_view AS SELECT escape() AS x;`, "planted");
      sh("runuser -u postgres -- pg_dump -Fc -d planted -f /var/tmp/planted.dump");
      sh(`${remote} copyto /var/tmp/planted.dump "$BACKUP_REMOTE/daily/2099/01/01/planted.dump"`);

      const r = machine.ssh("/usr/local/bin/shithub-restore-drill daily/2099/01/01/planted.dump");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("shithub-restore-drill: FAILED: pg_restore of daily/2099/01/01/planted.dump (as the unprivileged drill role)");
      expect(r.stderr).toMatch(/permission denied|must be superuser|pg_execute_server_program/);
      expect(wasRun()).toBe("contained");

      // Control: restored by a superuser, the same dump does run the program (the check can fail).
      asPostgres("CREATE DATABASE drill");
      machine.ssh("runuser -u postgres -- pg_restore --no-owner -d drill /var/tmp/planted.dump");
      expect(wasRun()).toBe("escaped");
    } finally {
      sh(`rm -f ${escaped} /var/tmp/planted.dump; ${remote} deletefile "$BACKUP_REMOTE/daily/2099/01/01/planted.dump" || true`);
      asPostgres("DROP DATABASE IF EXISTS drill");
      asPostgres("DROP DATABASE planted");
    }
  });

  it("the pre-deploy backup is tagged with the release and lands with a non-zero size", () => {
    const key = sh(preReleaseBackupCommand("v9.9.0"));
    expect(key).toMatch(/^pre-release\/v9\.9\.0\/shithub-\d{8}T\d{6}Z\.dump$/);
    const [obj] = objects(BUCKETS.backups, "pre-release/v9.9.0");
    expect(obj!.Size).toBeGreaterThan(0);
  });

  it("WAL segments and a base backup reach the WAL bucket", () => {
    sh(`psql -q '${DB_URL}' -c "INSERT INTO issues (repo_id, title) SELECT 1, 'wal ' || g FROM generate_series(1, 1000) g"`);
    sh("runuser -u postgres -- psql -q -c 'SELECT pg_switch_wal()'");
    sh("for i in $(seq 60); do [ \"$(runuser -u postgres -- psql -At -c 'SELECT archived_count FROM pg_stat_archiver')\" -gt 0 ] && exit 0; sleep 0.5; done; exit 1");
    expect(objects(BUCKETS.wal, "wal").length).toBeGreaterThan(0);
    sh("systemctl start shithub-basebackup.service");
    expect(objects(BUCKETS.wal, "base").map((o) => o.Size)[0]).toBeGreaterThan(1000);
  });

  it("point-in-time recovery from the base backup and the archived WAL gives exactly what was committed before the target", () => {
    const psql = (sql: string) => sh(`psql -X -At '${DB_URL}' -c "${sql}"`);
    psql("CREATE TABLE pitr_probe (v text)");
    psql("INSERT INTO pitr_probe VALUES ('first')");
    execFileSync("sleep", ["1.5"]);
    const target = psql("SELECT now()");
    execFileSync("sleep", ["1.5"]);
    psql("INSERT INTO pitr_probe VALUES ('second')");
    // Both commits archived: recovery must see a commit after the target to stop before it.
    const archived = Number(sh("runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver'"));
    sh("runuser -u postgres -- psql -X -q -c 'SELECT pg_switch_wal()'");
    sh(`for i in $(seq 100); do [ "$(runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver')" -gt ${archived} ] && exit 0; sleep 0.2; done; exit 1`);
    const r = machine.ssh(`shithub-pitr-drill '${target}' "SELECT string_agg(v, ',' ORDER BY v) FROM pitr_probe"`);
    expect(r.stderr).toMatch(/shithub-pitr-drill: recovered to .* from base-\d{8}T\d{6}Z\.tar\.gz and the archived WAL in \d+ s/);
    expect({ status: r.status, rows: r.stdout.trim() }).toEqual({ status: 0, rows: "first" });
    // The running database was not touched, and the scratch server is gone.
    expect(psql("SELECT string_agg(v, ',' ORDER BY v) FROM pitr_probe")).toBe("first,second");
    expect(sh("ls /var/tmp | grep -c shithub-pitr || true")).toBe("0");
  });

  it("a recovery target before every base backup is refused, naming why", () => {
    const r = machine.ssh("shithub-pitr-drill '2001-01-01 00:00:00+00'");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("shithub-pitr-drill: FAILED: no base backup in spaces:t-wal/base taken before 2001-01-01 00:00:00+00");
  });

  it("the DR sync copies dumps and WAL to the DR buckets", () => {
    sh("systemctl start shithub-dr-sync.service");
    expect(objects(BUCKETS.backupsDr).map((o) => o.Path).sort()).toEqual(objects(BUCKETS.backups).map((o) => o.Path).sort());
    expect(objects(BUCKETS.walDr).length).toBe(objects(BUCKETS.wal).length);
  });

  describe("failures: non-zero exit, no heartbeat, no local dump deleted", () => {
    let beat = "";
    let before: string[] = [];
    beforeEach(() => {
      beat = heartbeat();
      before = localDumps();
    });
    const unchanged = () => {
      expect(heartbeat()).toBe(beat);
      expect(localDumps()).toEqual(expect.arrayContaining(before));
    };

    it("PostgreSQL down: the unit fails and its failure hook records it", () => {
      sh("rm -f /var/lib/shithub-backup/last-failure; systemctl stop postgresql.service");
      try {
        const r = machine.ssh("systemctl start shithub-backup.service");
        expect(r.status).not.toBe(0);
        expect(sh("systemctl is-failed shithub-backup.service || true")).toBe("failed");
        expect(sh("journalctl -u shithub-backup.service -n 20 --no-pager")).toContain("shithub-backup: FAILED: pg_dump failed");
        sh("for i in $(seq 50); do [ -f /var/lib/shithub-backup/last-failure ] && exit 0; sleep 0.2; done; exit 1");
        expect(Number(sh("cat /var/lib/shithub-backup/last-failure"))).toBeGreaterThan(1_700_000_000);
        unchanged();
      } finally {
        sh("systemctl start postgresql.service");
      }
    });

    // rclone's own overrides of the remote's settings: a port where nothing listens, a secret the bucket does not know.
    it.each([
      ["the bucket unreachable", "RCLONE_CONFIG_SPACES_ENDPOINT=http://127.0.0.1:9"],
      ["a key the bucket does not know", "RCLONE_CONFIG_SPACES_SECRET_ACCESS_KEY=not-the-secret"],
    ])("%s", (_what, override) => {
      const uploaded = objects(BUCKETS.backups).length;
      const r = machine.ssh(`${override} RCLONE_LOW_LEVEL_RETRIES=1 /usr/local/bin/shithub-backup-daily`);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/shithub-backup: FAILED: upload to spaces:t-backups\/daily\/.* failed/);
      unchanged();
      expect(objects(BUCKETS.backups).length).toBe(uploaded);
    });

    it("the local disk full", () => {
      // A 64 KiB file system over the local copies: the dump cannot be written there.
      sh("mount -t tmpfs -o size=64k shithub-full /var/backups/shithub");
      try {
        const r = machine.ssh("/usr/local/bin/shithub-backup-daily");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("shithub-backup: FAILED: pg_dump failed");
        expect(sh("ls -A /var/backups/shithub | grep -c partial || true")).toBe("0");
      } finally {
        sh("umount /var/backups/shithub");
      }
      unchanged();
    });

    it("a corrupt dump: refused before upload", () => {
      const uploaded = objects(BUCKETS.backups).length;
      sh(`install -d /root/fakebin && printf '#!/bin/sh\\nfor a; do case $a in --file=*) f=\${a#--file=};; esac; done\\nhead -c 4096 /dev/urandom > "$f"\\n' > /root/fakebin/pg_dump && chmod +x /root/fakebin/pg_dump`);
      const r = machine.ssh("PATH=/root/fakebin:$PATH /usr/local/bin/shithub-backup-daily");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("shithub-backup: FAILED: the dump does not read back (pg_restore --list)");
      unchanged();
      expect(objects(BUCKETS.backups).length).toBe(uploaded);
      expect(sh("ls -A /var/backups/shithub | grep -c partial || true")).toBe("0");
    });
  });

  it("two runs at once (the timer and a pre-deploy backup, say) take turns: both succeed with their own dump", () => {
    const before = localDumps().length;
    sh("/usr/local/bin/shithub-backup-daily 2>/dev/null & /usr/local/bin/shithub-backup-daily --tag v9.9.1 2>/dev/null & wait -n && wait -n");
    expect(localDumps().length).toBe(Math.min(7, before + 2));
    expect(objects(BUCKETS.backups, "pre-release/v9.9.1")).toHaveLength(1);
  });

  it("keeps the newest 7 dumps locally, and deletes older ones only after a successful upload", () => {
    sh("for i in $(seq 8); do out=$(/usr/local/bin/shithub-backup-daily 2>&1) || { echo \"run $i: $out\" >&2; exit 1; }; sleep 1; done");
    expect(localDumps()).toHaveLength(7);
  });
});

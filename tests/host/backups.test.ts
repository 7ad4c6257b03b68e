import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { drillKeyPair } from "../../components/backups/ageKeys";
import { backupSetupBundle, preReleaseBackupCommand } from "../../components/backups/backupHost";
import { BUNDLE_COMMAND } from "../../components/hosts/bundle";
import { platformOf } from "../../components/hosts/platform";
import { drSync, drSyncFiles, drSyncSecretFiles } from "../../components/roles/drSync";
import { dbRecovery, dbRecoveryFiles, dbRecoverySecretFiles } from "../../components/roles/recovery";
import type { RecoveryInputs } from "../../components/roles/recovery";
import { reposBackup, reposBackupFiles, reposBackupSecretFiles, reposBackupVars } from "../../components/roles/reposBackup";
import { roleSetupBundle } from "../../components/roles/setupBundle";
import { ageKeyPair } from "../helpers";
import { bootMachine, HOST_IP, IMAGE, PROGRESS, SINGLE_DROPLET } from "./machine";
import { radosgwBackupInputs, TEST_BACKUP_KEY } from "./testStack";
import type { Cloud, Machine } from "./machine";

// Backups for real: PostgreSQL inside the booted container, Ceph radosgw (what Spaces runs on)
// on the host, and the scripts, units and timers the backup setup step installs, driven over SSH.

const work = mkdtempSync(join(tmpdir(), "shithub-backup-"));
const rgw = join(work, "rgw");
const RGW_SH = join(__dirname, "rgw.sh");
const ACCESS = "HOSTTESTACCESS";
const SECRET = "hosttestsecret";
const BUCKETS = { backups: "t-backups", backupsDr: "t-backups-dr", wal: "t-wal", walDr: "t-wal-dr", repos: "t-repos", reposDr: "t-repos-dr", objects: "t-objects", objectsDr: "t-objects-dr" };
const PLATFORM = platformOf(IMAGE)!;
const RESTIC_PASSWORD = "restic-host-test-password-0123456789";
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
  execFileSync("bash", [RGW_SH, "up", rgw], { stdio: PROGRESS, timeout: 600_000 });
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
  spawnSync("bash", [RGW_SH, "down", rgw], { stdio: PROGRESS });
  // The droplets' disks, the bucket store and the clones: several GB a run.
  rmSync(work, { recursive: true, force: true });
});

describe("the backup system on a real host", () => {
  it("the setup step installs scripts, units, timers and WAL archiving", () => {
    const bundle = backupSetupBundle({ ...radosgwBackupInputs({ backups: BUCKETS.backups, wal: BUCKETS.wal }, ACCESS, SECRET), dump: true, wal: true, databaseUrl: DB_URL });
    const r = machine.ssh(BUNDLE_COMMAND, bundle);
    expect(r.stderr).toMatch(/shithub-backup-setup: installed; changed: .*shithub-archive\.conf; timers: shithub-backup\.timer shithub-basebackup\.timer/);
    expect(r.status).toBe(0);
    expect(sh("systemctl is-enabled shithub-backup.timer shithub-basebackup.timer")).toBe("enabled\nenabled");
    expect(sh("systemctl show -p TimersCalendar --value shithub-backup.timer")).toContain("OnCalendar=*-*-* 03:17:00 UTC");
    expect(sh("runuser -u postgres -- psql -At -c 'SHOW archive_mode'")).toBe("on");
    // A file per key: postgres (the archiver) reads the WAL key and not the dump key.
    expect(sh("stat -c '%a %U %G' /etc/shithub-backup/rclone.conf /etc/shithub-backup/wal-rclone.conf")).toBe("600 shithub-backup shithub-backup\n640 root postgres");
    expect(machine.ssh("runuser -u postgres -- cat /etc/shithub-backup/rclone.conf").status).not.toBe(0);
    // The database password: in root's pgpass only, never in the settings (nor so in pg_dump's argv).
    expect(sh("stat -c '%a %U %G' /etc/shithub-backup/pgpass")).toBe("600 shithub-backup shithub-backup");
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
    expect(dump!.Path).toMatch(/^\d{4}\/\d{2}\/\d{2}\/shithub-\d{8}T\d{6}Z\.dump\.age$/);
    const local = localDumps();
    expect(local).toHaveLength(1);
    expect(`${local[0]}.age`).toBe(dump!.Path.split("/").pop());
    expect(dump!.Size).toBeGreaterThan(10_000);
    expect(Number(heartbeat())).toBeGreaterThan(1_700_000_000);
  });

  it("the dump in the bucket is sealed: without the operators' identity it reads as nothing; with it, it is the host's dump byte for byte", () => {
    const [dump] = objects(BUCKETS.backups, "daily");
    const local = `/var/backups/shithub/${localDumps()[0]}`;
    sh(`. /etc/shithub-backup/backup.env && RCLONE_CONFIG=$RCLONE_CONFIG rclone --s3-no-check-bucket copyto "$BACKUP_REMOTE/daily/${dump!.Path}" /var/tmp/sealed.age`);
    try {
      expect(machine.ssh("pg_restore --list /var/tmp/sealed.age").status).not.toBe(0);
      expect(sh("head -c 21 /var/tmp/sealed.age")).toBe("age-encryption.org/v1");
      const other = machine.ssh("cat > /var/tmp/other.key && age -d -i /var/tmp/other.key /var/tmp/sealed.age > /dev/null", `${ageKeyPair().identity}\n`);
      expect(other.stderr).toContain("no identity matched any of the recipients");
      const opened = machine.ssh(`cat > /var/tmp/right.key && age -d -i /var/tmp/right.key /var/tmp/sealed.age | cmp - ${local} && echo same`, `${TEST_BACKUP_KEY.identity}\n`);
      expect(opened.stdout.trim()).toBe("same");
    } finally {
      sh("rm -f /var/tmp/sealed.age /var/tmp/other.key /var/tmp/right.key");
    }
  });

  it("the restore drill restores the newest dump into a scratch server with the same row counts", () => {
    const start = performance.now();
    const r = machine.ssh("DRILL_JOBS=4 /usr/local/bin/shithub-restore-drill", `${TEST_BACKUP_KEY.identity}\n`);
    roundTripMs += performance.now() - start;
    expect(r.stderr).toMatch(/shithub-restore-drill: restored daily\/.*\.dump\.age in \d+ s/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(SOURCE_COUNTS);
    expect(sh("ls /var/tmp | grep -c shithub-drill || true")).toBe("0");
    // Without an identity the drill says what it needs.
    const bare = machine.ssh("/usr/local/bin/shithub-restore-drill < /dev/null");
    expect(bare.stderr).toMatch(/FAILED: daily\/.*\.dump\.age is sealed and stdin holds no age identity/);
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
      // Sealed to the recipients like every dump: sealing says nothing of who made it.
      sh("runuser -u postgres -- pg_dump -Fc -d planted -f /var/tmp/planted.dump && age -R /etc/shithub-backup/recipients -o /var/tmp/planted.dump.age /var/tmp/planted.dump");
      sh(`${remote} copyto /var/tmp/planted.dump.age "$BACKUP_REMOTE/daily/2099/01/01/planted.dump.age"`);

      const r = machine.ssh("/usr/local/bin/shithub-restore-drill daily/2099/01/01/planted.dump.age", `${TEST_BACKUP_KEY.identity}\n`);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("shithub-restore-drill: FAILED: pg_restore of daily/2099/01/01/planted.dump.age (as the unprivileged drill role)");
      expect(r.stderr).toMatch(/permission denied|must be superuser|pg_execute_server_program/);
      expect(wasRun()).toBe("contained");

      // Control: restored by a superuser, the same dump does run the program (the check can fail).
      asPostgres("CREATE DATABASE drill");
      machine.ssh("runuser -u postgres -- pg_restore --no-owner -d drill /var/tmp/planted.dump");
      expect(wasRun()).toBe("escaped");
    } finally {
      sh(`rm -f ${escaped} /var/tmp/planted.dump /var/tmp/planted.dump.age; ${remote} deletefile "$BACKUP_REMOTE/daily/2099/01/01/planted.dump.age" || true`);
      asPostgres("DROP DATABASE IF EXISTS drill");
      asPostgres("DROP DATABASE planted");
    }
  });

  it("the pre-deploy backup is tagged with the release and lands with a non-zero size", () => {
    const key = sh(preReleaseBackupCommand("v9.9.0"));
    expect(key).toMatch(/^pre-release\/v9\.9\.0\/shithub-\d{8}T\d{6}Z\.dump\.age$/);
    const [obj] = objects(BUCKETS.backups, "pre-release/v9.9.0");
    expect(obj!.Size).toBeGreaterThan(0);
  });

  it("WAL segments and a base backup reach the WAL bucket", () => {
    sh(`psql -q '${DB_URL}' -c "INSERT INTO issues (repo_id, title) SELECT 1, 'wal ' || g FROM generate_series(1, 1000) g"`);
    sh("runuser -u postgres -- psql -q -c 'SELECT pg_switch_wal()'");
    sh("for i in $(seq 60); do [ \"$(runuser -u postgres -- psql -At -c 'SELECT archived_count FROM pg_stat_archiver')\" -gt 0 ] && exit 0; sleep 0.5; done; exit 1");
    const [segment] = objects(BUCKETS.wal, "wal");
    expect(segment!.Path).toMatch(/^[0-9A-F]{24}\/[0-9a-f]{64}\.zst\.age$/);
    expect(rclone("cat", "--s3-no-check-bucket", "--count", "21", `s:${BUCKETS.wal}/wal/${segment!.Path}`)).toBe("age-encryption.org/v1");
    // A switched segment is 16 MiB whatever it holds (archive_timeout switches every minute):
    // compressed, it is about its contents. One switched after a single row is well under 1 MiB.
    sh(`psql -q '${DB_URL}' -c "INSERT INTO issues (repo_id, title) VALUES (1, 'one row')"`);
    sh("runuser -u postgres -- psql -q -c 'SELECT pg_switch_wal()'");
    sh("for i in $(seq 60); do [ \"$(runuser -u postgres -- psql -At -c 'SELECT archived_count FROM pg_stat_archiver')\" -gt 1 ] && exit 0; sleep 0.5; done; exit 1");
    const sizes = objects(BUCKETS.wal, "wal").map((o) => o.Size);
    expect(Math.min(...sizes)).toBeLessThan(1024 * 1024);
    sh("systemctl start shithub-basebackup.service");
    const [base] = objects(BUCKETS.wal, "base");
    expect(base!.Path).toMatch(/^base-\d{8}T\d{6}Z\.tar\.gz\.age$/);
    expect(base!.Size).toBeGreaterThan(1000);
  });

  it("archiving a WAL file again: the same content succeeds (PostgreSQL may retry after a crash), other content is refused, never overwritten", () => {
    const archive = (content: string) => machine.ssh(`printf '${content}' > /var/tmp/seg && chown postgres /var/tmp/seg && runuser -u postgres -- /usr/local/bin/shithub-wal-archive /var/tmp/seg 0000000100000000000000AA.probe`);
    expect(archive("one").status).toBe(0);
    expect(archive("one").status).toBe(0);
    const other = archive("two");
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("shithub-wal-archive: 0000000100000000000000AA.probe is already archived with other content");
    expect(objects(BUCKETS.wal, "wal/0000000100000000000000AA.probe")).toHaveLength(1);
    sh("rm -f /var/tmp/seg");
  });

  it("a WAL object archived before compression (<sha256>.age) is still archived for the archiver and opened for a restore", () => {
    const r = machine.ssh(`set -euo pipefail
      . /etc/shithub-backup/backup.env; export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
      key=$(mktemp); cat >"$key"
      printf 'an old segment' > /var/tmp/old-seg; chown postgres /var/tmp/old-seg
      age -R /etc/shithub-backup/recipients /var/tmp/old-seg | rclone rcat --s3-no-check-bucket "$WAL_REMOTE/wal/0000000100000000000000AB.old/$(sha256sum /var/tmp/old-seg | cut -c1-64).age"
      runuser -u postgres -- /usr/local/bin/shithub-wal-archive /var/tmp/old-seg 0000000100000000000000AB.old
      /usr/local/bin/shithub-wal-restore 0000000100000000000000AB.old /var/tmp/old-seg.restored "$key"
      cat /var/tmp/old-seg.restored; rm -f "$key" /var/tmp/old-seg /var/tmp/old-seg.restored`, `${TEST_BACKUP_KEY.identity}\n`);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: "an old segment", stderr: "" });
    expect(objects(BUCKETS.wal, "wal/0000000100000000000000AB.old")).toHaveLength(1);
  });

  const psql = (sql: string) => sh(`psql -X -At '${DB_URL}' -c "${sql}"`);
  /**
   * A recovery target between two commits to pitr_probe, a second from each, both archived:
   * recovery must see a commit after the target to stop before it.
   */
  const targetBetween = (before: string, after: string): string => {
    psql(`INSERT INTO pitr_probe VALUES ('${before}')`);
    execFileSync("sleep", ["1.5"]);
    const target = psql("SELECT now()");
    execFileSync("sleep", ["1.5"]);
    psql(`INSERT INTO pitr_probe VALUES ('${after}')`);
    const archived = Number(sh("runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver'"));
    sh("runuser -u postgres -- psql -X -q -c 'SELECT pg_switch_wal()'");
    sh(`for i in $(seq 100); do [ "$(runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver')" -gt ${archived} ] && exit 0; sleep 0.2; done; exit 1`);
    return target;
  };

  it("point-in-time recovery from the base backup and the archived WAL gives exactly what was committed before the target", () => {
    psql("CREATE TABLE pitr_probe (v text)");
    const target = targetBetween("first", "second");
    const r = machine.ssh(`shithub-pitr-drill '${target}' "SELECT string_agg(v, ',' ORDER BY v) FROM pitr_probe"`, `${TEST_BACKUP_KEY.identity}\n`);
    expect(r.stderr).toMatch(/shithub-pitr-drill: recovered to .* from base-\d{8}T\d{6}Z\.tar\.gz\.age and the archived WAL in \d+ s/);
    expect({ status: r.status, rows: r.stdout.trim() }).toEqual({ status: 0, rows: "first" });
    // The running database was not touched, and the scratch server is gone.
    expect(psql("SELECT string_agg(v, ',' ORDER BY v) FROM pitr_probe")).toBe("first,second");
    expect(sh("ls /var/tmp | grep -c shithub-pitr || true")).toBe("0");
  });

  it("a planted base backup's own settings run nothing, and a planted second object per WAL segment is passed over", () => {
    // What a holder of the WAL bucket's key can write: a newer base backup (the real one, sealed to
    // the public recipients) carrying settings that would stop recovery or the server, and a decoy
    // object beside every archived segment.
    const target = targetBetween("third", "fourth");
    const at = `(timestamptz '${target}' - interval '1 second') AT TIME ZONE 'UTC'`;
    const planted = `base-${psql(`SELECT to_char(${at}, 'YYYYMMDD') || 'T' || to_char(${at}, 'HH24MISS') || 'Z'`)}.tar.gz.age`;
    const plant = machine.ssh(`set -euo pipefail
      . /etc/shithub-backup/backup.env; export RCLONE_CONFIG=$WAL_RCLONE_CONFIG
      key=$(mktemp); cat >"$key"; d=$(mktemp -d)
      real=$(rclone lsf --s3-no-check-bucket --files-only "$WAL_REMOTE/base" | sort | tail -n 1)
      rclone cat --s3-no-check-bucket "$WAL_REMOTE/base/$real" | age -d -i "$key" | tar -xz -C "$d"
      printf "restore_command = 'false'\\nshared_preload_libraries = 'no_such_library'\\narchive_mode = on\\n" >>"$d/postgresql.auto.conf"
      tar -cz -C "$d" . | age -R /etc/shithub-backup/recipients | rclone rcat --s3-no-check-bucket "$WAL_REMOTE/base/${planted}"
      for seg in $(rclone lsf --s3-no-check-bucket --dirs-only "$WAL_REMOTE/wal" | tr -d /); do
        echo decoy | age -R /etc/shithub-backup/recipients | rclone rcat --s3-no-check-bucket "$WAL_REMOTE/wal/$seg/${"0".repeat(64)}.age"
      done
      rm -rf "$key" "$d"`, `${TEST_BACKUP_KEY.identity}\n`);
    expect({ status: plant.status, errors: plant.stderr.split("\n").filter((l) => /ERROR|FATAL|rror:/.test(l)) }).toEqual({ status: 0, errors: [] });

    const settings = ["restore_command", "shared_preload_libraries", "archive_mode"].map((name) => `current_setting('${name}')`).join(" || '|' || ");
    const r = machine.ssh(`shithub-pitr-drill '${target}' "SELECT string_agg(v, ',' ORDER BY v) || ' ' || ${settings} FROM pitr_probe"`, `${TEST_BACKUP_KEY.identity}\n`);
    // Had the planted settings applied, recovery would find no WAL, or the server would not start;
    // the settings in force are the drill's own.
    expect({ status: r.status, rows: r.stdout.trim() })
      .toEqual({ status: 0, rows: expect.stringMatching(/^first,second,third \/usr\/local\/bin\/shithub-wal-spool %f %p \/var\/tmp\/shithub-pitr\.\w+\|\|off$/) });
    expect(r.stderr).toContain(`shithub-pitr-drill: recovered to ${target} from ${planted} and the archived WAL`);
    expect(r.stderr).toMatch(/shithub-wal-restore: [0-9A-F]{24} is archived 2 times: took [0-9a-f]{64}\.zst\.age, the one that matches its digest/);
    expect(sh("ls /var/tmp /run | grep -c 'shithub-pitr' || true")).toBe("0");
  });

  it("a recovery target before every base backup is refused, naming why", () => {
    const r = machine.ssh("shithub-pitr-drill '2001-01-01 00:00:00+00'");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("shithub-pitr-drill: FAILED: no base backup in spaces-wal:t-wal/base taken before 2001-01-01 00:00:00+00");
  });

  it("the DR sync (its own user) copies dumps and WAL to the DR buckets, and never overwrites a copy with what changed in a primary", () => {
    writeFileSync(join(work, "avatar"), "an avatar\n");
    rclone("copyto", "--s3-no-check-bucket", join(work, "avatar"), `s:${BUCKETS.objects}/avatars/1.png`);
    const inputs = { provider: "Ceph", endpoint: `http://${HOST_IP}:7480`, drEndpoint: `http://${HOST_IP}:7480`, accessKey: ACCESS, secretKey: SECRET, buckets: BUCKETS };
    const setup = machine.ssh(BUNDLE_COMMAND, roleSetupBundle(drSync, SINGLE_DROPLET.name, PLATFORM, {}, { ...drSyncFiles(BUCKETS), ...drSyncSecretFiles(inputs) }));
    expect({ status: setup.status, stderr: setup.stderr }).toMatchObject({ status: 0, stderr: expect.stringContaining("shithub-dr-sync-setup: DR copies four times a day") });
    sh("systemctl start shithub-dr-sync.service");
    expect(sh("systemctl show -p User --value shithub-dr-sync.service")).toBe("shithub-dr");
    expect(objects(BUCKETS.backupsDr).map((o) => o.Path).sort()).toEqual(objects(BUCKETS.backups).map((o) => o.Path).sort());
    expect(objects(BUCKETS.walDr).length).toBe(objects(BUCKETS.wal).length);
    // shithubd's runtime objects too (users' attachments and the like: no other copy).
    expect(objects(BUCKETS.objectsDr).map((o) => o.Path)).toEqual(["avatars/1.png"]);
    expect(Number(sh("cat /var/lib/shithub-dr/last-success"))).toBeGreaterThan(1_700_000_000);

    // Garbage over a dump in the primary (what a stolen dump key could write) does not reach the copy.
    const [victim] = objects(BUCKETS.backups, "daily");
    const key = `daily/${victim!.Path}`;
    const copyBefore = rclone("md5sum", "--s3-no-check-bucket", `s:${BUCKETS.backupsDr}/${key}`);
    writeFileSync(join(work, "garbage"), "not a dump\n".repeat(1000));
    rclone("copyto", "--s3-no-check-bucket", join(work, "garbage"), `s:${BUCKETS.backups}/${key}`);
    const beat = sh("cat /var/lib/shithub-dr/last-success");
    const r = machine.ssh("systemctl start shithub-dr-sync.service");
    expect(r.status).not.toBe(0);
    expect(sh("journalctl -u shithub-dr-sync.service -n 30 --no-pager")).toContain(`shithub-dr-sync: FAILED: primary:${BUCKETS.backups} -> dr:${BUCKETS.backupsDr}`);
    expect(rclone("md5sum", "--s3-no-check-bucket", `s:${BUCKETS.backupsDr}/${key}`)).toBe(copyBefore);
    expect(sh("cat /var/lib/shithub-dr/last-success")).toBe(beat);
    // The good dump goes back where it was (later tests list the bucket).
    rclone("copyto", "--s3-no-check-bucket", `s:${BUCKETS.backupsDr}/${key}`, `s:${BUCKETS.backups}/${key}`);
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
      sh("mount -t tmpfs -o size=64k,mode=0700,uid=$(id -u shithub-backup),gid=$(id -g shithub-backup) shithub-full /var/backups/shithub");
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
      sh(`install -d -m 0755 /var/tmp/fakebin && printf '#!/bin/sh\\nfor a; do case $a in --file=*) f=\${a#--file=};; esac; done\\nhead -c 4096 /dev/urandom > "$f"\\n' > /var/tmp/fakebin/pg_dump && chmod 0755 /var/tmp/fakebin/pg_dump`);
      const r = machine.ssh("PATH=/var/tmp/fakebin:$PATH /usr/local/bin/shithub-backup-daily");
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
    // Whoever started them (these runs were root's), the dumps are the dump user's.
    expect(sh("stat -c %U /var/backups/shithub/* | sort -u")).toBe("shithub-backup");
    expect(sh("systemctl show -p User --value shithub-backup.service")).toBe("shithub-backup");
  });

  it("a recovery (shithub-recover-db) makes an empty cluster the lost one, to its last archived transaction, with this stack's role passwords", () => {
    // The lost environment: its WAL bucket as it stood, copied aside (what survives in a DR copy).
    const beforeLastWrite = Number(psql("SELECT extract(epoch FROM now())"));
    psql("INSERT INTO pitr_probe VALUES ('last before the loss')");
    const digest = () => psql("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT id, title FROM issues UNION ALL SELECT 0, v FROM pitr_probe) t");
    const expected = digest();
    const archived = Number(sh("runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver'"));
    sh("runuser -u postgres -- psql -X -q -c 'SELECT pg_switch_wal()'");
    sh(`for i in $(seq 100); do [ "$(runuser -u postgres -- psql -X -At -c 'SELECT archived_count FROM pg_stat_archiver')" -gt ${archived} ] && exit 0; sleep 0.2; done; exit 1`);
    rclone("mkdir", "s:t-wal-lost");
    rclone("copy", "--s3-no-check-bucket", `s:${BUCKETS.wal}`, "s:t-wal-lost");
    // This host as a new stack held for recovery: an empty shithub database, its own role password.
    // Its recovery settings and read key, as the db-recovery setup step puts them (shithubd:recovery set).
    const recovery: RecoveryInputs = {
      provider: "Ceph", sourceUrl: `http://${HOST_IP}:7480`, accessKey: ACCESS, secretKey: SECRET, postgresMajor: PLATFORM.postgresMajor, reposPassword: RESTIC_PASSWORD,
      buckets: { wal: "t-wal-lost", repos: BUCKETS.repos, objects: BUCKETS.objects }, own: { url: `http://${HOST_IP}:7480`, objects: BUCKETS.objects, accessKey: ACCESS, secretKey: SECRET },
    };
    const setup = machine.ssh(BUNDLE_COMMAND, roleSetupBundle(dbRecovery, SINGLE_DROPLET.name, PLATFORM, {}, { ...dbRecoveryFiles(recovery), ...dbRecoverySecretFiles(recovery) }));
    expect({ status: setup.status, stderr: setup.stderr }).toMatchObject({ status: 0, stderr: expect.stringContaining("shithub-db-recovery-setup: ready for npm run recover") });
    sh(`runuser -u postgres -- psql -X -q -d shithub -c "DROP TABLE goose_db_version, issues, repos, pitr_probe CASCADE"`);
    sh(`runuser -u postgres -- psql -X -q -c "ALTER ROLE shithub PASSWORD 'the-new-stacks-pw'"`);

    const r = machine.ssh("shithub-recover-db", `${TEST_BACKUP_KEY.identity}\n`);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0, stderr: expect.stringMatching(/shithub-recover-db: recovered from base-\d{8}T\d{6}Z\.tar\.gz\.age and the archived WAL in \d+ s/) });
    // Everything that was archived came back: the last write included (RPO 0 here: it was archived).
    expect(Date.parse(r.stdout.trim()) / 1000).toBeGreaterThanOrEqual(beforeLastWrite);
    const newUrl = DB_URL.replace("backup-test-pw", "the-new-stacks-pw");
    expect(sh(`psql -X -At '${newUrl}' -c "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT id, title FROM issues UNION ALL SELECT 0, v FROM pitr_probe) t"`)).toBe(expected);
    // Nothing destroyed: the database it replaced is kept beside it; and a second run refuses.
    expect(sh(`ls -d "$(pg_conftool -s 15 main show data_directory)".before-recovery-*`).split("\n")).toHaveLength(1);
    const again = machine.ssh("shithub-recover-db", `${TEST_BACKUP_KEY.identity}\n`);
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/holds \d+ tables: a recovery replaces only the empty database/) });
    expect(sh("ls /run | grep -c shithub-recover || true")).toBe("0");
  });
});

describe("the repositories' backup (restic) on a real host", () => {
  const REPOS = 20;
  const restic = (env = "") => `set -a; . /etc/shithub-repos-backup/restic.env; set +a; ${env} runuser -u shithub-repos-backup -- restic --no-cache`;
  const asShithub = (script: string) => sh(`runuser -u shithub -- bash -ec '${script}'`);
  const liveRefs = (rel: string) => sh(`git -c safe.directory='*' -C /data/repos/${rel} for-each-ref --format='%(objectname) %(refname)'`);
  const repoHeartbeat = () => sh("cat /var/lib/shithub-repos-backup/last-success 2>/dev/null || echo none");

  beforeAll(() => {
    // A forge's repositories: bare, packed (as git gc leaves them), owned by shithub, each with branches and a tag.
    asShithub(`mkdir -p /data/repos /data/tmp && cd /data/tmp && rm -rf seed && git init -q -b trunk seed && cd seed &&
      for i in $(seq 20); do head -c 20000 /dev/urandom | base64 > f$i; git add f$i; git -c user.name=a -c user.email=a@t commit -qm "c$i"; done &&
      git tag v1 && git branch feature HEAD~3 &&
      for n in $(seq ${REPOS}); do d=/data/repos/u$((n % 7))/user$n/repo$n.git; mkdir -p $(dirname $d); git clone -q --bare --no-local --template= . $d; done`);
  });

  it("the setup step makes its own user and the restic repository in its bucket, once", () => {
    const inputs = { endpoint: `http://${HOST_IP}:7480`, bucket: BUCKETS.repos, accessKey: ACCESS, secretKey: SECRET, password: RESTIC_PASSWORD };
    const bundle = roleSetupBundle(reposBackup, SINGLE_DROPLET.name, PLATFORM, reposBackupVars(false), { ...reposBackupFiles(), ...reposBackupSecretFiles(inputs) });
    const r = machine.ssh(BUNDLE_COMMAND, bundle);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0, stderr: expect.stringMatching(/repositories snapshotted daily; changed: .*restic-repository/) });
    expect(objects(BUCKETS.repos).map((o) => o.Path)).toContain("config");
    expect(sh("stat -c '%a %U' /etc/shithub-repos-backup/restic.env")).toBe("600 root");
    expect(sh("systemctl is-enabled shithub-repos-backup.timer")).toBe("enabled");
    const again = machine.ssh(BUNDLE_COMMAND, bundle);
    expect(again.stderr).toContain("changed: nothing");
  });

  let backupMs = 0;
  it("the daily unit snapshots every repository as its own user, which can read them and write none", () => {
    const start = performance.now();
    sh("systemctl start shithub-repos-backup.service");
    backupMs = performance.now() - start;
    expect(sh("journalctl -u shithub-repos-backup.service -n 5 --no-pager")).toMatch(new RegExp(`shithub-repos-backup: status=ok snapshot=[0-9a-f]{8} repositories=${REPOS}`));
    expect(Number(repoHeartbeat())).toBeGreaterThan(1_700_000_000);
    expect(sh("systemctl show -p User --value shithub-repos-backup.service")).toBe("shithub-repos-backup");
    // Its refs record equals the repositories' refs (nothing was pushed meanwhile).
    expect(sh("cat /var/lib/shithub-repos-backup/refs/u1/user1/repo1.git.refs")).toBe(`HEAD refs/heads/trunk\n${liveRefs("u1/user1/repo1.git")}`);
    const w = machine.ssh("systemd-run --wait --pipe -q -p User=shithub-repos-backup -p SupplementaryGroups=shithub -p AmbientCapabilities=CAP_DAC_READ_SEARCH touch /data/repos/u1/user1/repo1.git/probe");
    expect(w.status).not.toBe(0);
  });

  it("restores into a scratch directory: git fsck clean on every repository, refs as recorded; without the password nothing reads", () => {
    const start = performance.now();
    const r = machine.ssh("/usr/local/bin/shithub-repos-drill");
    const drillMs = performance.now() - start;
    expect(r.stderr).toMatch(new RegExp(`shithub-repos-drill: status=ok snapshot=latest repositories=${REPOS} fsck=clean refs=as-recorded`));
    expect(r.status).toBe(0);
    expect(sh("ls /var/tmp | grep -c shithub-repos-drill || true")).toBe("0");
    const size = sh("du -sm /data/repos | cut -f1");
    console.log(`repositories: ${REPOS} repos, ${size} MB: restic backup ${backupMs.toFixed(0)} ms, restore + fsck drill ${drillMs.toFixed(0)} ms`);
    // Encrypted: the right password lists the snapshot, any other reads nothing.
    expect(machine.ssh(`${restic()} snapshots --tag repos --json`).stdout).toContain("short_id");
    const wrong = machine.ssh(`${restic("RESTIC_PASSWORD=not-the-password")} snapshots`);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/wrong password/);
  });

  it("a push during the backup: the snapshot restores with refs that all resolve, fsck clean", () => {
    // Pushes to one repository, as fast as they go, for as long as the backup runs.
    asShithub(`cd /data/tmp/seed && (for i in $(seq 400); do [ -e /data/tmp/stop ] && break; head -c 50000 /dev/urandom | base64 > p$i; git add p$i;
      git -c user.name=a -c user.email=a@t commit -qm "p$i"; git push -q /data/repos/u1/user1/repo1.git trunk; done > /data/tmp/pushes.log 2>&1 < /dev/null &)`);
    try {
      sh("systemctl start shithub-repos-backup.service");
    } finally {
      asShithub("touch /data/tmp/stop; sleep 1; rm -f /data/tmp/stop");
    }
    const recorded = sh("awk '$1 != \"HEAD\" && $2 == \"refs/heads/trunk\" { print $1 }' /var/lib/shithub-repos-backup/refs/u1/user1/repo1.git.refs");
    const pushed = sh("git -c safe.directory='*' -C /data/tmp/seed log --format=%H trunk").split("\n");
    expect(pushed).toContain(recorded);
    // Pushes did land while the snapshot ran: the repository moved on past what was recorded.
    const live = sh("git -c safe.directory='*' -C /data/repos/u1/user1/repo1.git rev-parse trunk");
    expect(pushed.indexOf(live)).toBeLessThan(pushed.indexOf(recorded));
    console.log(`pushes during the backup: ${pushed.indexOf(recorded)} after the refs were recorded, ${pushed.length - 20 - pushed.indexOf(recorded)} before`);
    const r = machine.ssh("/usr/local/bin/shithub-repos-drill");
    expect(r.stderr).toMatch(new RegExp(`status=ok snapshot=latest repositories=${REPOS} fsck=clean`));
    expect(r.status).toBe(0);
  });

  it("a wrong repository password fails the unit: its failure hook records it, no heartbeat", () => {
    const beat = repoHeartbeat();
    sh("cp -a /etc/shithub-repos-backup/restic.env /root/restic.env.good && sed -i 's/^RESTIC_PASSWORD=.*/RESTIC_PASSWORD=not-the-password/' /etc/shithub-repos-backup/restic.env");
    try {
      expect(machine.ssh("systemctl start shithub-repos-backup.service").status).not.toBe(0);
      sh("for i in $(seq 50); do [ -f /var/lib/shithub-repos-backup/last-failure ] && exit 0; sleep 0.2; done; exit 1");
      expect(sh("journalctl -u shithub-repos-backup.service -n 20 --no-pager")).toContain("shithub-repos-backup: FAILED: restic backup exited");
      expect(repoHeartbeat()).toBe(beat);
    } finally {
      sh("mv -f /root/restic.env.good /etc/shithub-repos-backup/restic.env");
    }
  });
});

// Issue 25, items 3 and 4: the weekly drills with the drill's own identity, their metrics, and the
// identity canary an operator opens with npm run backup:check-identity.
describe("the weekly drills and the identity canary on a real host", () => {
  const ROOT = join(__dirname, "..", "..");
  const DRILL = drillKeyPair(randomBytes(32).toString("base64"));
  const SRC_URL = "postgresql://drillsrc:drill-src-pw@127.0.0.1:5432/drillsrc";
  const nodeMetrics = readFileSync(join(__dirname, "..", "..", "templates", "scripts", "shithub-node-metrics.sh"), "utf8");
  /** shithub-node-metrics as its timer runs it, into a directory of its own: the textfile the node exporter would serve. */
  const metrics = (): string => {
    const r = machine.ssh("rm -rf /var/tmp/tf /var/tmp/nm && mkdir -p /var/tmp/tf /var/tmp/nm && TEXTFILE_DIR=/var/tmp/tf STATE_DIR=/var/tmp/nm bash -s && cat /var/tmp/tf/shithub.prom", nodeMetrics);
    if (r.status !== 0) throw new Error(`shithub-node-metrics: ${r.stderr}`);
    return r.stdout;
  };
  const sample = (text: string, name: string, labels: string): number | undefined => {
    const m = new RegExp(`^${name}\\{${labels.replace(/[{}]/g, "")}\\} (\\d+)$`, "m").exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const drillRecord = (drill: string, what: string) => sh(`cat /var/lib/shithub-drill/${drill}/${what} 2>/dev/null || echo none`);
  const waitFor = (path: string) => sh(`for i in $(seq 50); do [ -f ${path} ] && exit 0; sleep 0.2; done; exit 1`);
  const bundle = () => backupSetupBundle({
    ...radosgwBackupInputs({ backups: BUCKETS.backups, wal: BUCKETS.wal }, ACCESS, SECRET),
    dump: true, wal: true, databaseUrl: SRC_URL,
    // The program's recipients: the operators', then the drill's.
    recipients: [TEST_BACKUP_KEY.recipient, DRILL.recipient],
    drillIdentity: DRILL.identity,
  });

  beforeAll(() => {
    // A database with the tables the real drill's integrity queries read (shithubd's schema, cut down).
    sh(`runuser -u postgres -- psql -q -c "CREATE ROLE drillsrc LOGIN PASSWORD 'drill-src-pw'" && runuser -u postgres -- createdb -O drillsrc drillsrc`);
    sh(`psql -X -q '${SRC_URL}' -v ON_ERROR_STOP=1 -c "
      CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint, is_applied bool DEFAULT true);
      INSERT INTO goose_db_version (version_id) VALUES (1), (2);
      CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL);
      CREATE TABLE orgs (id bigserial PRIMARY KEY, slug text NOT NULL);
      CREATE TABLE repos (id bigserial PRIMARY KEY, owner_user_id bigint REFERENCES users, owner_org_id bigint REFERENCES orgs, name text NOT NULL);
      CREATE TABLE push_events (id bigserial PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos ON DELETE CASCADE, ref text NOT NULL);
      CREATE TABLE issues (id bigserial PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos ON DELETE CASCADE, title text NOT NULL);
      CREATE TABLE auth_audit_log (id bigserial PRIMARY KEY, actor_user_id bigint, action text NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO users (username) SELECT 'user' || g FROM generate_series(1, 50) g;
      INSERT INTO orgs (slug) VALUES ('org1');
      INSERT INTO repos (owner_user_id, name) SELECT 1 + g % 50, 'repo' || g FROM generate_series(1, 200) g;
      INSERT INTO repos (owner_org_id, name) VALUES (1, 'org-repo');
      INSERT INTO push_events (repo_id, ref) SELECT 1 + g % 201, 'refs/heads/trunk' FROM generate_series(1, 1000) g;
      INSERT INTO issues (repo_id, title) SELECT 1 + g % 201, 'issue ' || g FROM generate_series(1, 500) g;
      INSERT INTO auth_audit_log (actor_user_id, action) VALUES (1, 'login');"`);
  });

  it("the setup with the drill's identity: root's alone, the weekly timer armed, and a canary sealed to every recipient", () => {
    const r = machine.ssh(BUNDLE_COMMAND, bundle());
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0, stderr: expect.stringMatching(/timers: shithub-backup\.timer shithub-basebackup\.timer shithub-dump-drill\.timer\n.*identity canary: sealed canary\/canary-\d{8}T\d{6}Z\.txt\.age to the recipients/s) });
    expect(sh("stat -c '%a %U %G' /etc/shithub-backup/drill.key")).toBe("600 root root");
    expect(sh("grep -c '^age1' /etc/shithub-backup/recipients")).toBe("2");
    expect(sh("systemctl is-enabled shithub-dump-drill.timer")).toBe("enabled");
    expect(sh("systemctl show -p TimersCalendar --value shithub-dump-drill.timer")).toContain("OnCalendar=Sun *-*-* 04:30:00 UTC");
    expect(sh("systemctl show -p Persistent --value shithub-dump-drill.timer")).toBe("yes");
    expect(sh("systemctl show -p RandomizedDelayUSec --value shithub-dump-drill.timer")).toBe("30min");
    // The canary opens with the operators' identity, here (where it never goes to the host).
    const [canary, ...more] = objects(BUCKETS.backups, "canary");
    expect(more).toEqual([]);
    writeFileSync(join(work, "operator.key"), `${TEST_BACKUP_KEY.identity}\n`, { mode: 0o600 });
    const opened = execFileSync("age", ["--decrypt", "--identity", join(work, "operator.key")], { input: `${rclone("cat", "--s3-no-check-bucket", `s:${BUCKETS.backups}/canary/${canary!.Path}`)}\n`, encoding: "utf8" });
    expect(opened).toMatch(/^shithub backup canary\nsealed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nnonce [0-9a-f]{32}\n$/);
    // Unchanged recipients seal no second canary.
    expect(machine.ssh(BUNDLE_COMMAND, bundle()).stderr).not.toContain("identity canary");
    expect(objects(BUCKETS.backups, "canary")).toHaveLength(1);
  });

  it("the weekly dump drill opens the newest dump with the drill's identity, passes the integrity queries, and its success is a metric", () => {
    sh("systemctl start shithub-backup.service");
    const before = Math.floor(Date.now() / 1000) - 5;
    const r = machine.ssh("systemctl start shithub-dump-drill.service");
    const journal = sh("journalctl -u shithub-dump-drill.service -n 30 --no-pager -o cat");
    expect({ status: r.status, journal }).toMatchObject({ status: 0, journal: expect.stringContaining("shithub-restore-drill: integrity: 7 queries passed on daily/") });
    expect(journal).toMatch(/shithub-restore-drill: restored daily\/\d{4}\/\d\d\/\d\d\/shithub-\d{8}T\d{6}Z\.dump\.age in \d+ s/);
    expect(journal).toContain("users 50");
    expect(Number(drillRecord("dump", "last-success"))).toBeGreaterThanOrEqual(before);
    // The identity was in the unit's runtime directory for the drill's length only.
    expect(sh("ls /run/shithub-dump-drill 2>/dev/null | wc -l")).toBe("0");
    const text = metrics();
    console.log(`weekly dump drill metrics:\n${text.split("\n").filter((l) => l.startsWith("shithub_drill")).join("\n")}`);
    expect(sample(text, "shithub_drill_last_success_seconds", 'drill="dump"')).toBeGreaterThanOrEqual(before);
    expect(sample(text, "shithub_drill_last_run_failed", 'drill="dump"')).toBe(0);
    expect(sample(text, "shithub_drill_scheduled_seconds", 'drill="dump"')).toBeGreaterThan(1_700_000_000);
  });

  it("a dump whose users table is empty (and whose repositories' owners are gone) fails the drill: the unit fails, its hook records it, the metric says so", () => {
    const success = drillRecord("dump", "last-success");
    const planted = "daily/2099/12/31/shithub-20991231T000000Z.dump.age";
    const remote = ". /etc/shithub-backup/backup.env && export RCLONE_CONFIG && rclone --s3-no-check-bucket";
    sh(`runuser -u postgres -- psql -X -q -c "CREATE DATABASE drillempty TEMPLATE drillsrc"`);
    try {
      sh(`runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d drillempty -c "ALTER TABLE repos DROP CONSTRAINT repos_owner_user_id_fkey; DELETE FROM users"`);
      sh(`runuser -u postgres -- pg_dump -Fc -d drillempty -f /var/tmp/empty.dump && age -R /etc/shithub-backup/recipients -o /var/tmp/empty.dump.age /var/tmp/empty.dump && ${remote} copyto /var/tmp/empty.dump.age "$BACKUP_REMOTE/${planted}"`);
      const r = machine.ssh("systemctl start shithub-dump-drill.service");
      expect(r.status).not.toBe(0);
      expect(sh("systemctl is-failed shithub-dump-drill.service || true")).toBe("failed");
      const journal = sh("journalctl -u shithub-dump-drill.service -n 30 --no-pager -o cat");
      expect(journal).toContain("shithub-restore-drill: integrity: users is not empty: FAILED (f)");
      expect(journal).toContain("shithub-restore-drill: integrity: no repository whose owner is gone (neither a user nor an org): FAILED (f)");
      expect(journal).toContain(`shithub-restore-drill: FAILED: 2 of 7 integrity queries on ${planted}`);
      waitFor("/var/lib/shithub-drill/dump/last-failure");
      expect(Number(drillRecord("dump", "last-failure"))).toBeGreaterThanOrEqual(Number(success));
      expect(drillRecord("dump", "last-success")).toBe(success);
      const text = metrics();
      expect(sample(text, "shithub_drill_last_run_failed", 'drill="dump"')).toBe(1);
      expect(sample(text, "shithub_drill_last_success_seconds", 'drill="dump"')).toBe(Number(success));
    } finally {
      sh(`rm -f /var/tmp/empty.dump /var/tmp/empty.dump.age; ${remote} deletefile "$BACKUP_REMOTE/${planted}" || true`);
      sh(`runuser -u postgres -- psql -X -q -c "DROP DATABASE drillempty"`);
    }
  });

  it("the weekly repositories drill restores the newest snapshot clean; one missing a repository fails the unit, recorded and in the metric", () => {
    expect(sh("systemctl is-enabled shithub-repos-drill.timer")).toBe("enabled");
    expect(sh("systemctl show -p TimersCalendar --value shithub-repos-drill.timer")).toContain("OnCalendar=Sun *-*-* 05:17:00 UTC");
    const ok = machine.ssh("systemctl start shithub-repos-drill.service");
    expect({ status: ok.status, journal: sh("journalctl -u shithub-repos-drill.service -n 5 --no-pager -o cat") })
      .toMatchObject({ status: 0, journal: expect.stringMatching(/shithub-repos-drill: status=ok snapshot=latest repositories=20 fsck=clean refs=as-recorded/) });
    expect(sh("systemctl show -p User --value shithub-repos-drill.service")).toBe("shithub-repos-backup");
    const success = drillRecord("repos", "last-success");
    expect(sample(metrics(), "shithub_drill_last_success_seconds", 'drill="repos"')).toBe(Number(success));

    // A snapshot in which a recorded repository is gone (deleted from the disk before restic read it).
    sh(`set -a; . /etc/shithub-repos-backup/restic.env; set +a; restic --no-cache backup --quiet --tag repos --exclude /data/repos/u1/user1/repo1.git /data/repos /var/lib/shithub-repos-backup/refs`);
    try {
      const r = machine.ssh("systemctl start shithub-repos-drill.service");
      expect(r.status).not.toBe(0);
      const journal = sh("journalctl -u shithub-repos-drill.service -n 10 --no-pager -o cat");
      expect(journal).toContain("shithub-repos-verify: u1/user1/repo1.git: in the record, missing from the snapshot");
      expect(journal).toContain("shithub-repos-verify: 1 of 20 repositories did not restore clean");
      expect(journal).toContain("shithub-repos-drill: FAILED: repositories of latest did not restore clean");
      waitFor("/var/lib/shithub-drill/repos/last-failure");
      expect(drillRecord("repos", "last-success")).toBe(success);
      expect(sample(metrics(), "shithub_drill_last_run_failed", 'drill="repos"')).toBe(1);
    } finally {
      // A good snapshot again is the newest.
      sh("systemctl start shithub-repos-backup.service");
    }
  });

  /** npm run backup:check-identity as an operator runs it from the checkout, root on the host with the operator's SSH key. */
  const checkIdentity = (identityFile: string) => spawnSync("npx", ["ts-node", "--swc", join(ROOT, "scripts", "checkIdentity.ts"), "--stack", "staging", "--dir", ROOT, "--identity", identityFile, "--host", machine.publicIp], {
    cwd: ROOT, encoding: "utf8", timeout: 300_000,
    env: { ...process.env, SHITHUB_SSH: `ssh -i ${cloud!.key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR` },
  });
  const proofs = () => sh("ls /var/lib/shithub-canary/proofs 2>/dev/null || true");

  it("npm run backup:check-identity: the operator's identity opens the canary here, and the proof is recorded there as a metric", () => {
    const before = Math.floor(Date.now() / 1000) - 5;
    const r = checkIdentity(join(work, "operator.key"));
    console.log(`npm run backup:check-identity (the operator's identity): exit ${r.status}\n${r.stdout}${r.stderr}`);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: expect.stringContaining(`${TEST_BACKUP_KEY.recipient} opens the backups of stack staging: ${join(work, "operator.key")} opened canary/canary-`) });
    expect(proofs()).toBe(TEST_BACKUP_KEY.recipient);
    expect(sample(metrics(), "shithub_backup_identity_proof_seconds", `recipient="${TEST_BACKUP_KEY.recipient}"`)).toBeGreaterThanOrEqual(before);
  });

  it("a wrong identity fails clearly (exit 1, not one of the recipients) and records nothing; nor does a proof without the canary's text", () => {
    const other = ageKeyPair();
    writeFileSync(join(work, "wrong.key"), `${other.identity}\n`, { mode: 0o600 });
    const before = sh("stat -c %Y /var/lib/shithub-canary/proofs/* | sort | tr '\\n' ' '");
    const r = checkIdentity(join(work, "wrong.key"));
    console.log(`npm run backup:check-identity (a wrong identity): exit ${r.status}\n${r.stdout}${r.stderr}`);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr.trim() }).toEqual({
      status: 1, stdout: "",
      stderr: expect.stringMatching(new RegExp(`error: the identity in ${join(work, "wrong.key")} \\(recipient ${other.recipient}\\) is not one of the recipients canary/canary-\\d{8}T\\d{6}Z\\.txt\\.age on ${machine.publicIp.replace(/\./g, "\\.")} is sealed to: it does not open the backups\\. Nothing was recorded\\.$`)),
    });
    expect(proofs()).toBe(TEST_BACKUP_KEY.recipient);
    expect(sh("stat -c %Y /var/lib/shithub-canary/proofs/* | sort | tr '\\n' ' '")).toBe(before);
    // The host records only what opened the canary: a recipient of its own with the wrong text, or another recipient, is refused.
    const key = sh("shithub-backup-canary fetch | head -n 1");
    const forged = machine.ssh(`shithub-backup-canary prove ${key} ${TEST_BACKUP_KEY.recipient} ${"0".repeat(64)}`);
    expect({ status: forged.status, stderr: forged.stderr.trim() }).toEqual({ status: 1, stderr: `shithub-backup-canary: FAILED: the text given is not ${key}'s: nothing recorded` });
    const stranger = machine.ssh(`shithub-backup-canary prove ${key} ${other.recipient} ${"0".repeat(64)}`);
    expect(stranger.stderr.trim()).toBe(`shithub-backup-canary: FAILED: ${other.recipient} is not one of the recipients in /etc/shithub-backup/recipients: nothing recorded`);
    expect(proofs()).toBe(TEST_BACKUP_KEY.recipient);
  });
});

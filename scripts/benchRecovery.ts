// npm run bench:recovery: a recovery of about 1 GB of database and 1 GB of repositories on a booted
// droplet, with the program's own backups and recovery tools, beside the bare tools on the same
// machine. The lost environment: a database (BENCH_ROWS rows of about 1 KB) and BENCH_REPOS bare
// repositories, backed up as the stack does (WAL archived with archive_timeout, the weekly base
// backup, the daily restic snapshot), then written to for BENCH_WRITE_SECONDS until its
// PostgreSQL is killed mid-write: the host is lost with whatever it had not archived. The host then
// becomes a stack held for recovery (WAL archiving held, an empty cluster, an empty volume), and
// shithub-recover-db and shithub-recover-repos run at once, as `npm run recover` runs them.
// RPO: the last write acknowledged before the loss against the last write that came back.
// The bare tools: pg_restore --jobs=4 of a pg_dump of the same database, a plain copy of the same
// repositories (cp -a, and one tar object read back from the same S3 server), and restic's restore alone.
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { performance } from "node:perf_hooks";
import { backupSetupBundle } from "../components/backups/backupHost";
import { BUNDLE_COMMAND } from "../components/hosts/bundle";
import { platformOf } from "../components/hosts/platform";
import { appRecovery, appRecoveryFiles, appRecoverySecretFiles, dbRecovery, dbRecoveryFiles, dbRecoverySecretFiles } from "../components/roles/recovery";
import type { RecoveryInputs } from "../components/roles/recovery";
import { reposBackup, reposBackupFiles, reposBackupSecretFiles, reposBackupVars } from "../components/roles/reposBackup";
import type { RoleModule } from "../components/roles/role";
import { roleSetupBundle } from "../components/roles/setupBundle";
import { IMAGE, SINGLE_DROPLET } from "../tests/host/machine";
import type { Machine } from "../tests/host/machine";
import { radosgwBackupInputs, TEST_BACKUP_KEY } from "../tests/host/testStack";
import { BENCH_ACCESS, BENCH_S3_URL, BENCH_SECRET, makeRepositories, makeRows, timed, withBenchDroplet } from "./benchDroplet";

// The base backup, WAL, the restic repository and the plain copy: about 3.5 GB, in radosgw's memory.
const STORE_BYTES = 8 * 1024 ** 3;
const BUCKETS = { backups: "r-backups", wal: "r-wal", repos: "r-repos", objects: "r-objects", plain: "r-plain" };
const PLATFORM = platformOf(IMAGE)!;
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPOS = Number(process.env.BENCH_REPOS ?? 100);
/** 27 commits of 375 KB of random bytes: about 10 MB packed per repository, 1 GB for 100. */
const REPO_COMMITS = Number(process.env.BENCH_REPO_COMMITS ?? 27);
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 150);
const DB_URL = "postgresql://shithub:bench-pw@127.0.0.1:5432/shithub";
// The new stack's password: shithub-recover-db keeps the new cluster's role verifiers.
const NEW_PASSWORD = "new-stack-pw";
const NEW_DB_URL = `postgresql://shithub:${NEW_PASSWORD}@127.0.0.1:5432/shithub`;
const RESTIC_PASSWORD = "bench-restic-password-0123456789";
const PLAIN_REMOTE = `RCLONE_CONFIG_P_TYPE=s3 RCLONE_CONFIG_P_PROVIDER=Ceph RCLONE_CONFIG_P_ACCESS_KEY_ID=${BENCH_ACCESS} RCLONE_CONFIG_P_SECRET_ACCESS_KEY=${BENCH_SECRET} RCLONE_CONFIG_P_ENDPOINT=${BENCH_S3_URL}`;
const UTC_MICROS = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** Every repository's refs, as one digest: equal before the loss and after the recovery. */
const refsDigest = (root: string) =>
  `cd ${root} && find . -name '*.git' -type d -prune | sort | while read -r r; do echo "$r"; git -c safe.directory='*' -C "$r" for-each-ref --format='%(objectname) %(refname)'; done | sha256sum | cut -c1-16`;

/** A role's setup step, as `pulumi up` runs it. */
function setUp(machine: Machine, role: RoleModule, vars: Record<string, number>, files: Record<string, string>): void {
  const r = machine.ssh(BUNDLE_COMMAND, roleSetupBundle(role, SINGLE_DROPLET.name, PLATFORM, vars, files));
  if (r.status !== 0) throw new Error(`${role.id} setup: ${r.stderr}`);
}

async function main(): Promise<void> {
  await withBenchDroplet("bench:recovery", Object.values(BUCKETS), async (machine) => {
    const sh = (command: string) => machine.sh(command);
    // SQL on stdin: the timestamps' to_char format has double quotes a shell would eat.
    const psql = (sql: string, url = DB_URL) => {
      const r = machine.ssh(`psql -X -At -v ON_ERROR_STOP=1 '${url}' -f -`, sql);
      if (r.status !== 0) throw new Error(`psql: ${sql}: exit ${r.status}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const major = PLATFORM.postgresMajor;
    sh(`runuser -u postgres -- psql -q -c "CREATE ROLE shithub LOGIN PASSWORD 'bench-pw'" && runuser -u postgres -- createdb -O shithub shithub`);

    // The lost environment: its data, then its backups as the stack takes them.
    makeRows(machine, DB_URL, ROWS);
    makeRepositories(machine, REPOS, REPO_COMMITS, 375_000);
    const dbSize = sh("runuser -u postgres -- psql -X -At -c \"SELECT pg_size_pretty(pg_database_size('shithub'))\"");
    const reposMb = Number(sh("du -sm /data/repos | cut -f1"));
    sh(`pg_dump --format=custom --file=/var/tmp/bench.dump '${DB_URL}'`);
    const backup = (held: boolean) => machine.ssh(BUNDLE_COMMAND, backupSetupBundle({
      ...radosgwBackupInputs(BUCKETS, BENCH_ACCESS, BENCH_SECRET), dump: true, wal: true, databaseUrl: DB_URL, holdDump: held, holdWal: held,
    }));
    const on = backup(false);
    if (on.status !== 0) throw new Error(`backup setup: ${on.stderr}`);
    const archiveTimeout = sh(`runuser -u postgres -- psql -X -At -c 'SHOW archive_timeout'`);
    setUp(machine, reposBackup, reposBackupVars(false), { ...reposBackupFiles(), ...reposBackupSecretFiles({ endpoint: BENCH_S3_URL, bucket: BUCKETS.repos, accessKey: BENCH_ACCESS, secretKey: BENCH_SECRET, password: RESTIC_PASSWORD }) });
    const baseBackupS = timed(machine, "base backup", "systemctl start shithub-basebackup.service");
    const snapshotS = timed(machine, "repositories' snapshot", "systemctl start shithub-repos-backup.service");
    const refsBefore = sh(refsDigest("/data/repos"));
    // The plain baseline's copy on the same server: the repositories as one tar stream (one object,
    // as restic's packs are few and large; thousands of small objects would measure radosgw instead).
    const plainUp = await machine.sshAsync(`set -o pipefail && tar -C /data/repos -cf - . | ${PLAIN_REMOTE} rclone rcat p:${BUCKETS.plain}/repos.tar`);
    if (plainUp.status !== 0) throw new Error(`the plain copy's upload: ${plainUp.stderr}`);

    // Writes until the loss: one row every 0.1 s, each acknowledged time logged.
    psql("CREATE TABLE writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
    sh(`cat > /var/tmp/writer.sql <<'SQL'
INSERT INTO writes DEFAULT VALUES RETURNING ${UTC_MICROS};
SQL`);
    console.error(`writing for ${WRITE_SECONDS} s, then killing PostgreSQL...`);
    const writer = machine.sshAsync(`while psql -X -q -At '${DB_URL}' -f /var/tmp/writer.sql >>/var/tmp/writes.log 2>/dev/null; do sleep 0.1; done`);
    await new Promise((resolve) => setTimeout(resolve, WRITE_SECONDS * 1000));
    sh(`systemctl kill --signal=SIGKILL postgresql@${major}-main.service`);
    await writer;
    // Acknowledged writes are the lines holding a time (a write cut off by the kill prints none).
    const acknowledged = "grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' /var/tmp/writes.log";
    const lastWrite = sh(`${acknowledged} | tail -n 1`);
    const writesBefore = Number(sh(`${acknowledged} | wc -l`));

    // The host as a new stack held for recovery: archiving held, an empty cluster and an empty volume.
    const held = backup(true);
    if (held.status !== 0) throw new Error(`held backup setup: ${held.stderr}`);
    sh(`systemctl stop postgresql@${major}-main.service && d=$(pg_conftool -s ${major} main show data_directory) && mv -T "$d" "$d.lost" &&
      install -d -o postgres -g postgres -m 0700 "$d" && runuser -u postgres -- /usr/lib/postgresql/${major}/bin/initdb -D "$d" >/dev/null &&
      systemctl start postgresql@${major}-main.service &&
      runuser -u postgres -- psql -q -c "CREATE ROLE shithub LOGIN PASSWORD '${NEW_PASSWORD}'" && runuser -u postgres -- createdb -O shithub shithub`);
    sh("mv -T /data/repos /data/repos.lost && install -d -o shithub -g shithub -m 0755 /data/repos");
    const inputs: RecoveryInputs = {
      provider: "Ceph", sourceUrl: BENCH_S3_URL, accessKey: BENCH_ACCESS, secretKey: BENCH_SECRET, postgresMajor: major, reposPassword: RESTIC_PASSWORD,
      buckets: { wal: BUCKETS.wal, repos: BUCKETS.repos, objects: BUCKETS.objects },
      own: { url: BENCH_S3_URL, objects: BUCKETS.objects, accessKey: BENCH_ACCESS, secretKey: BENCH_SECRET },
    };
    setUp(machine, dbRecovery, {}, { ...dbRecoveryFiles(inputs), ...dbRecoverySecretFiles(inputs) });
    setUp(machine, appRecovery, {}, { ...appRecoveryFiles(inputs), ...appRecoverySecretFiles(inputs) });

    // The recovery: the database and the repositories at once.
    console.error("recovering...");
    const start = performance.now();
    const [db, repos] = await Promise.all([machine.sshAsync("shithub-recover-db", `${TEST_BACKUP_KEY.identity}\n`), machine.sshAsync("shithub-recover-repos")]);
    const recoverS = (performance.now() - start) / 1000;
    if (db.status !== 0) throw new Error(`shithub-recover-db: ${db.stderr}`);
    if (repos.status !== 0) throw new Error(`shithub-recover-repos: ${repos.stderr}`);
    // The users' checks a host can make: shithubd's role logs in and reads, a repository clones.
    const checkS = timed(machine, "checks", `psql -X -At '${NEW_DB_URL}' -c 'SELECT count(*) FROM blobs' >/dev/null &&
      r=$(find /data/repos -name '*.git' -type d -prune | head -n 1) && runuser -u shithub -- git clone -q "$r" /var/tmp/check-clone && rm -rf /var/tmp/check-clone`);
    const rtoS = (performance.now() - start) / 1000;
    const lastBack = psql(`SELECT ${UTC_MICROS} FROM writes ORDER BY at DESC LIMIT 1`, NEW_DB_URL);
    const writesBack = Number(psql("SELECT count(*) FROM writes", NEW_DB_URL));
    const rowsBack = Number(psql("SELECT count(*) FROM blobs", NEW_DB_URL));
    const refsAfter = sh(refsDigest("/data/repos"));
    const field = (name: string) => repos.stderr.match(new RegExp(`${name}=([\\d.]+)`))?.[1] ?? "?";
    const via = repos.stderr.match(/via=(\w+)/)?.[1] ?? "?";

    // The recovery's figures first: the baselines below take minutes, and can fail on their own.
    const resticVersion = sh("restic version | cut -d' ' -f2");
    const rpo = (Date.parse(lastWrite) - Date.parse(lastBack)) / 1000 + (Number(lastWrite.slice(23, 26)) - Number(lastBack.slice(23, 26))) / 1e6;
    const s = (n: number) => `${n.toFixed(1)} s`;
    console.log(`the lost environment: database ${dbSize} (${ROWS} rows), ${REPOS} repositories (${reposMb} MB), on ${IMAGE} (PostgreSQL ${major}, restic ${resticVersion})`);
    console.log(`  backups as the stack takes them: base backup ${s(baseBackupS)}, repositories' snapshot ${s(snapshotS)}; archive_timeout ${archiveTimeout}`);
    console.log(`  ${writesBefore} writes in ${WRITE_SECONDS} s, then PostgreSQL killed mid-write`);
    console.log(`RPO: last write acknowledged ${lastWrite}, last write back ${lastBack}: ${rpo.toFixed(3)} s (${writesBefore - writesBack} writes lost)`);
    console.log(`recovery, database and repositories at once      ${s(recoverS)}`);
    console.log(`  database: base backup, WAL replayed             ${s(db.ms / 1000)}`);
    console.log(`  repositories: ${via === "copy" ? `the restic repository copied ${field("copy_seconds")} s, restored from the copy` : "restored from S3 (no room to copy)"} ${field("restore_seconds")} s, refs and git fsck ${field("check_seconds")} s, total ${s(repos.ms / 1000)}`);
    console.log(`  then the checks (shithubd's role reads, a clone) ${s(checkS)}`);
    console.log(`RTO on this host (restore to checks passing)      ${s(rtoS)}`);
    console.log(`  rows back: ${rowsBack === ROWS ? "all" : `${rowsBack} of ${ROWS}`}; refs of every repository ${refsAfter === refsBefore ? "equal to the lost ones" : "DIFFER"}`);

    // The bare tools, on the same data, each printed as it is measured.
    sh("runuser -u postgres -- createdb bare");
    const pgRestoreS = timed(machine, "bare pg_restore", "runuser -u postgres -- pg_restore --jobs=4 --no-owner -d bare /var/tmp/bench.dump");
    console.log(`bare pg_restore --jobs=4 of a pg_dump             ${s(pgRestoreS)} (the database's recovery is ${(db.ms / 1000 / pgRestoreS).toFixed(2)}x)`);
    const copyS = timed(machine, "plain copy", "cp -a /data/repos.lost /var/tmp/plain-copy && sync -f /var/tmp/plain-copy");
    console.log(`plain copy of the repositories (cp -a)            ${s(copyS)}`);
    const rcloneS = timed(machine, "plain copy over S3", `install -d /var/tmp/plain-s3 && set -o pipefail && ${PLAIN_REMOTE} rclone cat p:${BUCKETS.plain}/repos.tar | tar -C /var/tmp/plain-s3 -xf - && sync -f /var/tmp/plain-s3`);
    console.log(`plain copy over S3 (one tar object, rclone cat)   ${s(rcloneS)}`);
    const reposRestoreS = Number(field("copy_seconds")) + Number(field("restore_seconds"));
    console.log(`the recovery's restore of the repositories        ${s(reposRestoreS)} (${(reposRestoreS / rcloneS).toFixed(1)}x the plain copy over S3; goal: at most 10x)`);
    const resticS = timed(machine, "restic restore alone",
      "set -a && . /etc/shithub-recovery/restic.env && set +a && HOME=/root restic --no-cache --no-lock restore latest --tag repos --target /var/tmp/restic-only >/dev/null && sync -f /var/tmp/restic-only");
    console.log(`restic restore alone, straight from S3            ${s(resticS)} (${(resticS / copyS).toFixed(1)}x cp -a, ${(resticS / rcloneS).toFixed(1)}x the plain copy over S3)`);
    sh("rm -rf /var/tmp/plain-copy /var/tmp/plain-s3 /var/tmp/restic-only");
    if (rowsBack !== ROWS || refsAfter !== refsBefore) throw new Error("the recovery did not bring everything back: see above");
  }, STORE_BYTES);
}

export const BENCH_RECOVERY_COMMAND: CommandSpec = {
  script: "bench:recovery",
  summary: "(as root) RPO and RTO of a recovery of about 1 GB of database and 1 GB of repositories on a booted droplet, against a bare pg_restore and a plain copy",
  synopsis: [""],
  options: {},
  env: {
    BENCH_ROWS: "rows of about 1 KB (default 1,000,000: about 1 GB)", BENCH_REPOS: "repositories (default 100)",
    BENCH_REPO_COMMITS: "commits of 500 KB each per repository (default 27: about 10 MB packed)", BENCH_WRITE_SECONDS: "seconds of writes before the loss (default 150)",
  },
  exits: { [EXIT.ok]: "the figures are printed", [EXIT.fail]: "the benchmark could not run, or the recovery lost rows or refs (the message says which)", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(BENCH_RECOVERY_COMMAND, async () => {
  await main();
  return EXIT.ok;
});

// npm run bench:backup: the database backup's round trip on a booted droplet, next to the raw
// tools on the same machine. A database of about 1 GB (text that compresses as real rows do) is
// dumped, checked and uploaded to radosgw by the program's own backup unit, then restored by its
// drill (download, scratch server, unprivileged restore, smoke); the control is a bare
// pg_dump to a local file and pg_restore --jobs=4 of it. Then the repositories' round trip: a set
// of bare repositories of distinct content (BENCH_REPOS of them, each BENCH_REPO_COMMITS commits of
// 100 KB) snapshotted by the program's restic unit and restored by its drill (restore, refs,
// git fsck on each), next to a plain copy of /data/repos.
import { EXIT, Refusal, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { backupSetupBundle } from "../components/backups/backupHost";
import { BUNDLE_COMMAND } from "../components/hosts/bundle";
import { platformOf } from "../components/hosts/platform";
import { reposBackup, reposBackupFiles, reposBackupSecretFiles } from "../components/roles/reposBackup";
import { roleSetupBundle } from "../components/roles/setupBundle";
import { bootMachine, HOST_IP, IMAGE, PROGRESS, SINGLE_DROPLET } from "../tests/host/machine";
import { radosgwBackupInputs, TEST_BACKUP_KEY } from "../tests/host/testStack";
import type { Machine } from "../tests/host/machine";

const RGW_SH = join(__dirname, "..", "tests", "host", "rgw.sh");
const ACCESS = "BENCHACCESS";
const SECRET = "benchsecret";
const BUCKETS = { backups: "b-backups", wal: "b-wal", repos: "b-repos" };
const REPOS = Number(process.env.BENCH_REPOS ?? 40);
const REPO_COMMITS = Number(process.env.BENCH_REPO_COMMITS ?? 50);
const DB_URL = "postgresql://shithub:bench-pw@127.0.0.1:5432/shithub";
/** Rows of about 1 KB of hex text each: about 1 GB on disk. */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);

function timed(machine: Machine, what: string, command: string, input?: string): number {
  const start = performance.now();
  const r = machine.ssh(command, input);
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}: ${r.stderr}`);
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Refusal("npm run bench:backup boots containers: run it as root");
  const work = mkdtempSync(join(tmpdir(), "shithub-bench-backup-"));
  const rgw = join(work, "rgw");
  const bucketsDown = () => {
    spawnSync("bash", [RGW_SH, "down", rgw], { stdio: PROGRESS });
    rmSync(work, { recursive: true, force: true });
  };
  execFileSync("bash", [RGW_SH, "up", rgw], { stdio: PROGRESS, timeout: 600_000 });
  const env: NodeJS.ProcessEnv = { ...process.env, RCLONE_CONFIG_S_TYPE: "s3", RCLONE_CONFIG_S_PROVIDER: "Ceph", RCLONE_CONFIG_S_ACCESS_KEY_ID: ACCESS,
    RCLONE_CONFIG_S_SECRET_ACCESS_KEY: SECRET, RCLONE_CONFIG_S_ENDPOINT: "http://127.0.0.1:7480" };
  delete env.AWS_CA_BUNDLE; // rclone refuses a custom CA bundle with its own transport
  execFileSync("bash", [RGW_SH, "key", rgw, ACCESS, SECRET], { stdio: PROGRESS });
  let booted: Awaited<ReturnType<typeof bootMachine>>;
  try {
    for (const b of Object.values(BUCKETS)) execFileSync("rclone", ["mkdir", `s:${b}`], { env });
    booted = await bootMachine(work);
  } catch (e) {
    bucketsDown();
    throw e;
  }
  const { machine, cloud } = booted;
  try {
    const sh = (command: string) => machine.sh(command);
    sh(`runuser -u postgres -- psql -q -c "CREATE ROLE shithub LOGIN PASSWORD 'bench-pw'" && runuser -u postgres -- createdb -O shithub shithub`);
    const setup = machine.ssh(BUNDLE_COMMAND, backupSetupBundle({ ...radosgwBackupInputs(BUCKETS, ACCESS, SECRET), dump: true, wal: false, databaseUrl: DB_URL }));
    if (setup.status !== 0) throw new Error(setup.stderr);
    const reposInputs = { endpoint: `http://${HOST_IP}:7480`, bucket: BUCKETS.repos, accessKey: ACCESS, secretKey: SECRET, password: "bench-restic-password-0123456789" };
    const reposSetup = machine.ssh(BUNDLE_COMMAND, roleSetupBundle(reposBackup, SINGLE_DROPLET.name, platformOf(IMAGE)!, {}, { ...reposBackupFiles(), ...reposBackupSecretFiles(reposInputs) }));
    if (reposSetup.status !== 0) throw new Error(reposSetup.stderr);

    console.error(`generating ${ROWS} rows...`);
    timed(machine, "data", `psql -q '${DB_URL}' -c "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint);
      INSERT INTO goose_db_version (version_id) VALUES (1);
      CREATE TABLE blobs (id bigserial PRIMARY KEY, body text);
      INSERT INTO blobs (body) SELECT (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 32) i) FROM generate_series(1, ${ROWS}) g;" -c "VACUUM ANALYZE blobs"`);
    const size = sh("runuser -u postgres -- psql -X -At -c \"SELECT pg_size_pretty(pg_database_size('shithub'))\"");

    const rawDump = timed(machine, "raw pg_dump", `pg_dump --format=custom --compress=9 --file=/var/tmp/raw.dump '${DB_URL}'`);
    const dumpSize = sh("du -h /var/tmp/raw.dump | cut -f1");
    sh("runuser -u postgres -- createdb rawrestore");
    const rawRestore = timed(machine, "raw pg_restore", "runuser -u postgres -- pg_restore --jobs=4 --no-owner -d rawrestore /var/tmp/raw.dump");
    sh("runuser -u postgres -- dropdb rawrestore && rm -f /var/tmp/raw.dump");

    const backup = timed(machine, "backup unit", "systemctl start shithub-backup.service");
    const drill = timed(machine, "restore drill", "DRILL_JOBS=4 /usr/local/bin/shithub-restore-drill >/dev/null", `${TEST_BACKUP_KEY.identity}\n`);
    const copy = timed(machine, "plain copy", "cp -r /var/lib/postgresql /var/tmp/plain-copy && rm -rf /var/tmp/plain-copy");

    console.error(`generating ${REPOS} repositories of ${REPO_COMMITS} commits...`);
    timed(machine, "repositories", `runuser -u shithub -- bash -ec 'mkdir -p /data/repos /data/tmp && cd /data/tmp && for n in $(seq ${REPOS}); do
      rm -rf w && git init -q -b trunk w && (cd w && for i in $(seq ${REPO_COMMITS}); do head -c 75000 /dev/urandom | base64 > f$i; git add f$i;
      git -c user.name=b -c user.email=b@t commit -qm c$i; done) && d=/data/repos/u$((n % 9))/user$n/repo$n.git && mkdir -p $(dirname $d) &&
      git clone -q --bare --no-local --template= w $d; done; rm -rf w'`);
    const reposSize = sh("du -sm /data/repos | cut -f1");
    const reposBackupS = timed(machine, "repository backup unit", "systemctl start shithub-repos-backup.service");
    const reposDrillS = timed(machine, "repository drill", "/usr/local/bin/shithub-repos-drill");
    const reposCopy = timed(machine, "plain copy of the repositories", "cp -a /data/repos /var/tmp/repos-copy && rm -rf /var/tmp/repos-copy");

    console.log(`database ${size}, dump ${dumpSize} (custom format, compress 9), ${ROWS} rows`);
    console.log(`raw pg_dump to a local file          ${rawDump.toFixed(1)} s`);
    console.log(`raw pg_restore --jobs=4              ${rawRestore.toFixed(1)} s`);
    console.log(`raw round trip                       ${(rawDump + rawRestore).toFixed(1)} s`);
    console.log(`backup unit (dump, check, upload)    ${backup.toFixed(1)} s`);
    console.log(`restore drill (download, restore)    ${drill.toFixed(1)} s`);
    console.log(`shithub round trip                   ${(backup + drill).toFixed(1)} s (${((backup + drill) / (rawDump + rawRestore)).toFixed(2)}x raw)`);
    console.log(`plain copy of the data directory     ${copy.toFixed(1)} s`);
    console.log(`repositories: ${REPOS} bare repositories, ${reposSize} MB on disk`);
    console.log(`restic backup unit (refs, snapshot, prune) ${reposBackupS.toFixed(1)} s`);
    console.log(`repository drill (restore, refs, fsck)     ${reposDrillS.toFixed(1)} s`);
    console.log(`shithub repository round trip             ${(reposBackupS + reposDrillS).toFixed(1)} s (${((reposBackupS + reposDrillS) / reposCopy).toFixed(1)}x a plain copy)`);
    console.log(`plain copy of /data/repos                 ${reposCopy.toFixed(1)} s`);
  } finally {
    cloud.down();
    bucketsDown();
  }
}


export const BENCH_BACKUP_COMMAND: CommandSpec = {
  script: "bench:backup",
  summary: "(as root) the database's and the repositories' backup round trips on a booted droplet, against the bare tools",
  synopsis: [""],
  options: {},
  env: { BENCH_ROWS: "rows of about 1 KB (default 1,000,000: about 1 GB)", BENCH_REPOS: "repositories (default 40)", BENCH_REPO_COMMITS: "commits of 100 KB each (default 50)" },
  exits: { [EXIT.ok]: "the figures are printed", [EXIT.fail]: "the benchmark could not run (the message says why)", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(BENCH_BACKUP_COMMAND, async () => {
  await main();
  return EXIT.ok;
});

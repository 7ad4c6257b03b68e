// npm run bench:backup: the database backup's round trip on a booted droplet, next to the raw
// tools on the same machine. A database of about 1 GB (text that compresses as real rows do) is
// dumped, checked and uploaded to radosgw by the program's own backup unit, then restored by its
// drill (download, scratch server, unprivileged restore, smoke); the control is a bare
// pg_dump to a local file and pg_restore --jobs=4 of it. Then the repositories' round trip: a set
// of bare repositories of distinct content (BENCH_REPOS of them, each BENCH_REPO_COMMITS commits of
// 100 KB) snapshotted by the program's restic unit and restored by its drill (restore, refs,
// git fsck on each), next to a plain copy of /data/repos.
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { backupSetupBundle } from "../components/backups/backupHost";
import { BUNDLE_COMMAND } from "../components/hosts/bundle";
import { platformOf } from "../components/hosts/platform";
import { reposBackup, reposBackupFiles, reposBackupSecretFiles, reposBackupVars } from "../components/roles/reposBackup";
import { roleSetupBundle } from "../components/roles/setupBundle";
import { IMAGE, SINGLE_DROPLET } from "../tests/host/machine";
import { radosgwBackupInputs, TEST_BACKUP_KEY } from "../tests/host/testStack";
import { BENCH_ACCESS, BENCH_S3_URL, BENCH_SECRET, makeRepositories, makeRows, timed, withBenchDroplet } from "./benchDroplet";

const BUCKETS = { backups: "b-backups", wal: "b-wal", repos: "b-repos" };
const REPOS = Number(process.env.BENCH_REPOS ?? 40);
const REPO_COMMITS = Number(process.env.BENCH_REPO_COMMITS ?? 50);
const DB_URL = "postgresql://shithub:bench-pw@127.0.0.1:5432/shithub";
/** Rows of about 1 KB of hex text each: about 1 GB on disk. */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);

async function main(): Promise<void> {
  await withBenchDroplet("bench:backup", Object.values(BUCKETS), async (machine) => {
    const sh = (command: string) => machine.sh(command);
    sh(`runuser -u postgres -- psql -q -c "CREATE ROLE shithub LOGIN PASSWORD 'bench-pw'" && runuser -u postgres -- createdb -O shithub shithub`);
    const setup = machine.ssh(BUNDLE_COMMAND, backupSetupBundle({ ...radosgwBackupInputs(BUCKETS, BENCH_ACCESS, BENCH_SECRET), dump: true, wal: false, databaseUrl: DB_URL }));
    if (setup.status !== 0) throw new Error(setup.stderr);
    const reposInputs = { endpoint: BENCH_S3_URL, bucket: BUCKETS.repos, accessKey: BENCH_ACCESS, secretKey: BENCH_SECRET, password: "bench-restic-password-0123456789" };
    const reposSetup = machine.ssh(BUNDLE_COMMAND, roleSetupBundle(reposBackup, SINGLE_DROPLET.name, platformOf(IMAGE)!, reposBackupVars(false), { ...reposBackupFiles(), ...reposBackupSecretFiles(reposInputs) }));
    if (reposSetup.status !== 0) throw new Error(reposSetup.stderr);

    console.error(`generating ${ROWS} rows...`);
    makeRows(machine, DB_URL, ROWS);
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
    makeRepositories(machine, REPOS, REPO_COMMITS, 75_000);
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
  });
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

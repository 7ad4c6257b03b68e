// What the host benchmarks share: radosgw (the S3 server Spaces runs on) on this machine with one
// key and the buckets asked for, and one droplet booted from the shipped image beside it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Refusal } from "./cli/command";
import { bootMachine, HOST_IP, PROGRESS } from "../tests/host/machine";
import type { Machine } from "../tests/host/machine";

const RGW_SH = join(__dirname, "..", "tests", "host", "rgw.sh");
export const BENCH_ACCESS = "BENCHACCESS";
export const BENCH_SECRET = "benchsecret";
/** radosgw as the droplet reaches it. */
export const BENCH_S3_URL = `http://${HOST_IP}:7480`;

/** Runs `command` on the droplet; returns the seconds it took. */
export function timed(machine: Machine, what: string, command: string, input?: string): number {
  const start = performance.now();
  const r = machine.ssh(command, input);
  if (r.status !== 0) throw new Error(`${what}: exit ${r.status}: ${r.stderr}`);
  return (performance.now() - start) / 1000;
}

/**
 * `run` with a droplet and radosgw holding `buckets` in `storeBytes` of memory (radosgw stops
 * taking writes, without an error the client sees, once its store is 98% full); both are gone
 * afterwards, whatever happened.
 */
export async function withBenchDroplet(script: string, buckets: readonly string[], run: (machine: Machine) => Promise<void>, storeBytes = 2 * 1024 ** 3): Promise<void> {
  if (process.getuid?.() !== 0) throw new Refusal(`npm run ${script} boots containers: run it as root`);
  const work = mkdtempSync(join(tmpdir(), `shithub-${script.replace(":", "-")}-`));
  const rgw = join(work, "rgw");
  const bucketsDown = () => {
    spawnSync("bash", [RGW_SH, "down", rgw], { stdio: PROGRESS });
    rmSync(work, { recursive: true, force: true });
  };
  execFileSync("bash", [RGW_SH, "up", rgw], { stdio: PROGRESS, timeout: 600_000, env: { ...process.env, RGW_MEMSTORE_BYTES: String(storeBytes) } });
  const env: NodeJS.ProcessEnv = { ...process.env, RCLONE_CONFIG_S_TYPE: "s3", RCLONE_CONFIG_S_PROVIDER: "Ceph", RCLONE_CONFIG_S_ACCESS_KEY_ID: BENCH_ACCESS,
    RCLONE_CONFIG_S_SECRET_ACCESS_KEY: BENCH_SECRET, RCLONE_CONFIG_S_ENDPOINT: "http://127.0.0.1:7480" };
  delete env.AWS_CA_BUNDLE; // rclone refuses a custom CA bundle with its own transport
  let booted: Awaited<ReturnType<typeof bootMachine>>;
  try {
    execFileSync("bash", [RGW_SH, "key", rgw, BENCH_ACCESS, BENCH_SECRET], { stdio: PROGRESS });
    for (const b of buckets) execFileSync("rclone", ["mkdir", `s:${b}`], { env });
    booted = await bootMachine(work);
  } catch (e) {
    bucketsDown();
    throw e;
  }
  try {
    await run(booted.machine);
  } finally {
    booted.cloud.down();
    bucketsDown();
  }
}

/** A database of `rows` rows of about 1 KB of hex text (compresses as real rows do): about 1 GB per million. */
export function makeRows(machine: Machine, databaseUrl: string, rows: number): void {
  console.error(`generating ${rows} rows...`);
  timed(machine, "data", `psql -q '${databaseUrl}' -c "CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint);
    INSERT INTO goose_db_version (version_id) VALUES (1);
    CREATE TABLE blobs (id bigserial PRIMARY KEY, body text);
    INSERT INTO blobs (body) SELECT (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 32) i) FROM generate_series(1, ${rows}) g;" -c "VACUUM ANALYZE blobs"`);
}

/**
 * `count` bare repositories of distinct content under /data/repos, shithub's, packed as a clone
 * leaves them: each `commits` commits of one file of `randomBytes` random bytes in base64.
 */
export function makeRepositories(machine: Machine, count: number, commits: number, randomBytes: number): void {
  console.error(`generating ${count} repositories of ${commits} commits...`);
  timed(machine, "repositories", `runuser -u shithub -- bash -ec 'mkdir -p /data/repos /data/tmp && cd /data/tmp && for n in $(seq ${count}); do
    rm -rf w && git init -q -b trunk w && (cd w && for i in $(seq ${commits}); do head -c ${randomBytes} /dev/urandom | base64 > f$i; git add f$i;
    git -c user.name=b -c user.email=b@t commit -qm c$i; done) && d=/data/repos/u$((n % 9))/user$n/repo$n.git && mkdir -p $(dirname $d) &&
    git clone -q --bare --no-local --template= w $d; done; rm -rf w'`);
}

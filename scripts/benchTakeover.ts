// npm run bench:takeover: the takeover's window (write downtime) for about 1 GB of database and
// 1 GB of repositories, next to the bare tools on the same machine. A live box
// (tests/host/legacy/) and a one-droplet stack in standby are booted; the live database gets
// BENCH_ROWS rows of about 1 KB, the live repositories BENCH_REPOS bare repositories of
// BENCH_REPO_MB MB of distinct content. `prepare` runs as `npm run takeover -- prepare` does; then
// a delta lands while the forge serves (BENCH_DELTA_REPOS repositories get 5 MB each, 10,000 rows
// are written), and the window runs. The bare figures: a final pg_dump | pg_restore plus rsync of
// everything (what a takeover without replication would stop writes for), and rsync of the same
// delta onto a copy made before it (the bare final sync of the delta).
import { EXIT, Refusal, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sshRemote } from "../components/takeover/sshRemote";
import { Takeover } from "../components/takeover/takeover";
import { dropletUserData, Stack } from "../tests/host/applyPlan";
import { ArtifactServer } from "../tests/host/artifacts";
import { legacyBox } from "../tests/host/legacyBox";
import { bootCloud, holdTimers, publicIpOf, SINGLE_DROPLET } from "../tests/host/machine";
import type { Machine } from "../tests/host/machine";
import { bucketHosts, TestSpaces } from "../tests/host/spaces";
import { planSingleDroplet } from "../tests/host/testStack";

const DOMAIN = "shithub.test";
const VERSION = "v1.8.0";
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const REPOS = Number(process.env.BENCH_REPOS ?? 20);
const REPO_MB = Number(process.env.BENCH_REPO_MB ?? 50);
const DELTA_REPOS = Number(process.env.BENCH_DELTA_REPOS ?? 3);

function timed(what: string, run: () => void): number {
  const start = performance.now();
  run();
  const seconds = (performance.now() - start) / 1000;
  console.error(`${what}: ${seconds.toFixed(1)} s`);
  return seconds;
}

function must(m: Machine, command: string): string {
  const r = m.ssh(command);
  if (r.status !== 0) throw new Error(`${m.name}: ${command.slice(0, 80)}: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

/** `count` commits of `mb` MB of fresh random content each onto bare repository `repo` on the live box, as shithub. */
const addContent = (repo: string, commits: number, mb: number): string => `set -e
runuser -u shithub -- git init -q --bare -b trunk /data/repos/${repo} 2>/dev/null || true
w=$(mktemp -d) && chown shithub "$w" && cd "$w"
runuser -u shithub -- git clone -q /data/repos/${repo} . 2>/dev/null || runuser -u shithub -- git init -q -b trunk .
for c in $(seq ${commits}); do
  head -c ${mb}M /dev/urandom | runuser -u shithub -- tee "blob-$c-$RANDOM" >/dev/null
  runuser -u shithub -- git add -A && runuser -u shithub -- git -c user.name=bench -c user.email=bench@shithub.test commit -q -m "bench $c"
done
runuser -u shithub -- git push -q /data/repos/${repo} trunk
cd / && rm -rf "$w"`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Refusal("npm run bench:takeover boots containers: run it as root");
  const work = mkdtempSync(join(tmpdir(), "shithub-bench-takeover-"));
  const artifacts = new ArtifactServer(join(work, "artifacts"), 8094);
  const spaces = new TestSpaces(work);
  artifacts.publish(VERSION, "migrations=1");
  const legacy = legacyBox(DOMAIN, readFileSync(artifacts.fileOf(VERSION), "utf8"));
  const source = publicIpOf(0);
  const plan = await planSingleDroplet(DOMAIN, VERSION, artifacts, { "shithubd:takeover": "standby", "shithubd:takeoverSource": source });
  const cloud = await bootCloud(work, [
    { name: "shithub-live", userData: legacy.userData, privateIp: "10.40.0.2", vpcPrefix: 24, volume: false },
    { name: SINGLE_DROPLET.name, userData: dropletUserData(plan, SINGLE_DROPLET.name), privateIp: "10.30.0.2", vpcPrefix: 24, volume: true },
  ], { names: [DOMAIN, ...bucketHosts(plan)], firewalls: plan, alongside: (ca) => spaces.up(ca) });
  try {
    const old = cloud.machine("shithub-live");
    const neu = cloud.machine(SINGLE_DROPLET.name);
    artifacts.start(cloud.worldCa);
    await spaces.provide(plan);
    await new Stack(() => neu, () => holdTimers(neu)).up(plan);
    for (let i = 0; i < 300 && old.ssh("test -f /var/lib/shithub-legacy-ready").status !== 0; i++) execFileSync("sleep", ["1"]);

    console.error(`filling the live box: ${ROWS} rows, ${REPOS} repositories of ${REPO_MB} MB...`);
    must(old, `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d shithub -c "
      INSERT INTO users (username) VALUES ('bench');
      INSERT INTO repos (owner_user_id, name) SELECT id, 'bench' FROM users WHERE username = 'bench';
      INSERT INTO push_events (repo_id, before_sha, after_sha, ref, protocol, request_id)
        SELECT r.id, md5(g::text), md5((g + 1)::text), 'refs/heads/trunk', 'ssh', repeat(md5(g::text), 30)
        FROM generate_series(1, ${ROWS}) g, (SELECT id FROM repos WHERE name = 'bench') r;" -c "VACUUM ANALYZE"`);
    for (let i = 0; i < REPOS; i++) must(old, addContent(`bench/r${i}.git`, 5, REPO_MB / 5));
    const dbSize = must(old, "runuser -u postgres -- psql -X -At -c \"SELECT pg_size_pretty(pg_database_size('shithub'))\"");
    const reposSize = must(old, "du -sh /data/repos | cut -f1");

    const hosts = { source, app: neu.publicIp, db: neu.publicIp };
    const ssh = ["ssh", "-i", join(work, "id_ed25519"), "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
    const takeover = new Takeover(sshRemote(ssh, hosts), hosts, (line) => console.error(`takeover: ${line}`));
    await takeover.prepare();

    // The bare tools' own way in: a key of the bench's, pinned the plain way.
    const pub = must(neu, "test -f /root/.ssh/bench || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/bench; cat /root/.ssh/bench.pub");
    must(old, `install -d -m 0700 /root/.ssh && echo '${pub}' >> /root/.ssh/authorized_keys`);
    const rsync = `rsync -a --delete -e 'ssh -i /root/.ssh/bench -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' root@${source}:/data/repos/ /data/bare-repos/`;
    must(neu, "runuser -u postgres -- createdb bare");
    const bareDb = timed("bare pg_dump | pg_restore of everything", () => execFileSync("bash", ["-o", "pipefail", "-c",
      `${ssh.join(" ")} root@${source} 'cd /tmp && runuser -u postgres -- pg_dump -Fc -Z1 shithub' | ${ssh.join(" ")} root@${neu.publicIp} 'cd /tmp && runuser -u postgres -- pg_restore -d bare --no-owner --no-privileges'`]));
    const bareRepos = timed("bare rsync of every repository", () => must(neu, rsync));

    console.error(`the delta, while the forge serves: ${DELTA_REPOS} repositories get 5 MB each, 10,000 rows`);
    for (let i = 0; i < DELTA_REPOS; i++) must(old, addContent(`bench/r${i}.git`, 1, 5));
    must(old, `runuser -u postgres -- psql -X -q -d shithub -c "INSERT INTO push_events (repo_id, before_sha, after_sha, ref, protocol, request_id)
      SELECT r.id, md5(g::text), md5(g::text), 'refs/heads/trunk', 'ssh', repeat(md5(g::text), 30) FROM generate_series(1, 10000) g, (SELECT id FROM repos WHERE name = 'bench') r"`);

    const window = await takeover.window(120);
    const bareDelta = timed("bare rsync of the same delta", () => must(neu, rsync));

    const steps = takeover.timings.map((t) => `  ${t.step}: ${t.seconds.toFixed(1)} s`).join("\n");
    console.log([
      `data: database ${dbSize}, repositories ${reposSize} (${REPOS} repositories); delta: ${DELTA_REPOS} repositories +5 MB, 10,000 rows`,
      "steps:",
      steps,
      `window (no writes, from window-start to every check passed): ${window.toFixed(1)} s`,
      `bare final sync of everything (pg_dump | pg_restore ${bareDb.toFixed(1)} s + rsync ${bareRepos.toFixed(1)} s): ${(bareDb + bareRepos).toFixed(1)} s; window / that: ${(window / (bareDb + bareRepos)).toFixed(2)}x`,
      `bare final sync of the delta (rsync onto a copy made before it): ${bareDelta.toFixed(1)} s; window / that: ${(window / bareDelta).toFixed(2)}x (goal: at most 1.2x)`,
    ].join("\n"));
  } finally {
    artifacts.stop();
    spaces.down();
    cloud.down();
    rmSync(work, { recursive: true, force: true });
  }
}


export const BENCH_TAKEOVER_COMMAND: CommandSpec = {
  script: "bench:takeover",
  summary: "(as root) the takeover's window for about 1 GB of database and 1 GB of repositories, against a bare final sync of everything and of the delta",
  synopsis: [""],
  options: {},
  env: { BENCH_ROWS: "rows of about 1 KB (default 1,000,000)", BENCH_REPOS: "repositories (default 20)", BENCH_REPO_MB: "MB per repository (default 50)", BENCH_DELTA_REPOS: "repositories that change before the window (default 3)" },
  exits: { [EXIT.ok]: "the figures are printed", [EXIT.fail]: "the benchmark could not run (the message says why)", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(BENCH_TAKEOVER_COMMAND, async () => {
  await main();
  return EXIT.ok;
});

// npm run bench:release (as root): what users feel during a release, and what a release costs.
// Boots one droplet of the test cloud (tests/host) from the program's user data, converges a
// one-host stack with the program's own remote steps, then:
//  1. drives an open-loop load of 100 requests/s over HTTPS through the edge for the whole of a
//     version-bump release (the release step exactly as `pulumi up` sends it);
//  2. the control: the same load across a plain `systemctl restart` of web behind an edge that
//     does not wait (the Caddyfile without its lb_try_* lines);
//  3. release time (median of ROUNDS version bumps, back and forth between two versions) against
//     a bare `systemctl restart` of web and worker plus the first ready answer (median of ROUNDS),
//     each over one SSH command;
//  4. with REPOS (1,000) repositories: `shithubd hooks reinstall --all` (what a host moving off the
//     old symlink layout runs once) and a version bump's time, against the same bump without them.
// The load comes from 200 client addresses, each in a network of its own (shithubd's rate limits).
import { EXIT, Refusal, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropletUserData, Stack } from "../tests/host/applyPlan";
import { ArtifactServer } from "../tests/host/artifacts";
import { openLoopLoad } from "../tests/host/load";
import type { LoadResult } from "../tests/host/load";
import { bootCloud, clientAddresses, SINGLE_DROPLET } from "../tests/host/machine";
import type { Machine } from "../tests/host/machine";
import { bucketHosts, TestSpaces } from "../tests/host/spaces";
import { CADDY_ROOT, planSingleDroplet } from "../tests/host/testStack";

const DOMAIN = "bench.test";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LOAD_SECONDS = 12;
const READY = "http://127.0.0.1:8080/readyz";
const REPOS = Number(process.env.BENCH_REPOS ?? 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function underLoad(machine: Machine, ca: Buffer, during: () => Promise<void>): Promise<LoadResult> {
  const load = openLoopLoad({ url: `https://${DOMAIN}/`, address: machine.publicIp, ratePerSecond: 100, seconds: LOAD_SECONDS, ca, sources: clientAddresses(200) });
  await sleep(2000);
  await during();
  return load;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Refusal("npm run bench:release boots containers: run it as root");
  const work = mkdtempSync(join(tmpdir(), "shithub-bench-release-"));
  const artifacts = new ArtifactServer(join(work, "artifacts"), 8095);
  const versions = ["v1.0.0", "v1.1.0", "v1.2.0"];
  versions.forEach((v, i) => artifacts.publish(v, `migrations=${i + 1}`));
  const plan = (version: string) => planSingleDroplet(DOMAIN, version, artifacts);
  const fresh = await plan("v1.0.0");
  // Spaces is radosgw on this host, as in the host tiers: the release's storage check reaches it.
  const spaces = new TestSpaces(work);
  const cloud = await bootCloud(work, [{ name: SINGLE_DROPLET.name, userData: dropletUserData(fresh, SINGLE_DROPLET.name), privateIp: "10.30.0.2", vpcPrefix: 24, volume: true }],
    { names: bucketHosts(fresh), alongside: (worldCa) => spaces.up(worldCa) });
  const machine = cloud.machine(SINGLE_DROPLET.name);
  try {
    artifacts.start(cloud.worldCa);
    await spaces.provide(fresh);
    const stack = new Stack(() => machine);
    await stack.up(fresh);
    const ca = Buffer.from(machine.sh(`cat ${CADDY_ROOT}`));

    // 1. A version bump under load, the release step as `pulumi up` runs it.
    let releaseMs = 0;
    const next = await plan("v1.1.0");
    const release = await underLoad(machine, ca, async () => {
      const [step] = await stack.up(next);
      releaseMs = step!.ms;
    });

    // 2. The control: no waiting edge, a plain restart.
    const caddyfile = machine.sh("cat /etc/caddy/Caddyfile");
    machine.ssh("sed -i '/lb_try_/d' /etc/caddy/Caddyfile && systemctl reload caddy");
    const control = await underLoad(machine, ca, async () => {
      await machine.sshAsync("systemctl restart shithubd-web.service");
    });
    machine.ssh("cat > /etc/caddy/Caddyfile && systemctl reload caddy", `${caddyfile}\n`);

    // 3. Release time against a bare restart and the first ready answer.
    const releases: number[] = [releaseMs];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = machine.ssh(`systemctl restart shithubd-web.service shithubd-worker.service && until curl -fso /dev/null ${READY}; do sleep 0.05; done`);
      if (r.status !== 0) throw new Error(`bare restart: ${r.stderr}`);
      bare.push(r.ms);
      if (i < ROUNDS - 1) {
        const [step] = await stack.up(await plan(i % 2 === 0 ? "v1.2.0" : "v1.1.0"));
        releases.push(step!.ms);
      }
    }
    // 4. Many repositories: the hooks' one-time move, and a release's time with them.
    machine.ssh("runuser -u postgres -- psql -X -q -d shithub -v ON_ERROR_STOP=1 -f -",
      `INSERT INTO users (username) VALUES ('bench');\nINSERT INTO repos (owner_user_id, name) SELECT u.id, 'repo-' || i FROM users u, generate_series(1, ${REPOS}) i WHERE u.username = 'bench';\n`);
    const reinstall = machine.ssh("systemd-run --quiet --wait --pipe --collect -p User=shithub -p Group=shithub -p EnvironmentFile=/etc/shithub/web.env -- /usr/local/bin/shithubd hooks reinstall --all");
    if (reinstall.status !== 0 || !reinstall.stdout.includes(`reinstalled hooks on ${REPOS} repos (0 failed)`)) throw new Error(`hooks reinstall: ${reinstall.stdout}${reinstall.stderr}`);
    const withRepos: number[] = [];
    for (let i = 0; i < ROUNDS; i++) withRepos.push((await stack.up(await plan(i % 2 === 0 ? "v1.2.0" : "v1.1.0")))[0]!.ms);

    const fmt = (r: LoadResult) => `${r.sent} requests, ${r.failed} failed`;
    console.log(`release under load: ${fmt(release)}, p99 ${release.p99Ms} ms, max ${release.maxMs} ms`);
    console.log(`control (plain restart, no wait): ${fmt(control)}`);
    console.log(`release ${Math.round(median(releases))} ms, bare restart + first ready answer ${Math.round(median(bare))} ms, ratio ${(median(releases) / median(bare)).toFixed(1)}`);
    console.log(`${REPOS} repositories: hooks reinstall --all ${Math.round(reinstall.ms)} ms (once, when a host leaves the symlink layout); ` +
      `release with them ${Math.round(median(withRepos))} ms against ${Math.round(median(releases))} ms without`);
    writeFileSync(join(work, "figures.json"), JSON.stringify({ release, control, releases, bare, reinstallMs: reinstall.ms, withRepos }, null, 2));
    // The release step starts 2 s into the load; its stall shows as the window of slow requests.
    if (process.env.BENCH_VERBOSE) console.error(readFileSync(join(work, "figures.json"), "utf8"));
  } finally {
    artifacts.stop();
    spaces.down();
    cloud.down();
    rmSync(work, { recursive: true, force: true });
  }
}


export const BENCH_RELEASE_COMMAND: CommandSpec = {
  script: "bench:release",
  summary: "(as root) what users feel during a release and what a release costs, on a booted droplet, against a bare restart",
  synopsis: [""],
  options: {},
  exits: { [EXIT.ok]: "the figures are printed", [EXIT.fail]: "the benchmark could not run (the message says why)", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(BENCH_RELEASE_COMMAND, async () => {
  await main();
  return EXIT.ok;
});

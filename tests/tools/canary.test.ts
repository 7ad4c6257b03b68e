import { utcSecond } from "../../components/release/releaseReport";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { judgeCanary, renderCanary } from "../../canary/judge";
import { canaryDashboard, canaryDashboardJson } from "../../canary/dashboard";
import { instantQuery } from "../../canary/measure";
import { judgePromotion } from "../../components/promotion/promotionGate";
import { configOf, rawConfig } from "../helpers";
import { measure } from "../../canary/measure";

// The canary against Debian's real Prometheus, fed with recorded series (promtool tsdb
// create-blocks-from openmetrics): two hours of a staging host's shithubd, Postgres and journal
// counters around a release, one Prometheus per story.

const BIN = execFileSync(join(__dirname, "prometheus.sh"), { encoding: "utf8" }).trim();
const work = mkdtempSync(join(tmpdir(), "shithub-canary-"));
const STEP = 15;
const WINDOW = 30 * 60;
// Recorded up to a minute ago, as a live Prometheus would hold them; the release 45 minutes before that.
const END = Math.floor(Date.now() / 1000 / STEP) * STEP - 60;
const RELEASE = END - 45 * 60;
const START = RELEASE - 60 * 60;

interface Story {
  /** Seconds one request of /{owner}/{repo} takes, before and after the release. */
  readonly slowRoute: [number, number];
  /** Commits per request, before and after. */
  readonly dbCallsPerRequest: [number, number];
  readonly release?: boolean;
  readonly requestsPerSecond?: number;
}

const LABELS = 'env="staging",host="shithub-staging"';
const BUCKETS = [0.001, 0.0025, 0.00625, 0.015625, 0.0390625, 0.09765625, 0.244140625, 0.6103515625, 1.52587890625, 3.814697265625, 9.5367431640625, 23.84185791015625];

/** OpenMetrics for a story: counters that grow at a steady rate, changing at the release. */
function openMetrics(story: Story): string {
  const rate = story.requestsPerSecond ?? 10;
  const families = new Map<string, { type: string; lines: string[] }>();
  const add = (family: string, type: string, line: string) => {
    if (!families.has(family)) families.set(family, { type, lines: [] });
    families.get(family)!.lines.push(line);
  };
  // Users' routes, and Prometheus's own scrapes (every 15 s), which no canary signal may count as traffic.
  const routes: Array<[string, (after: boolean) => number, number]> = [
    ["/{owner}/{repo}", (a) => story.slowRoute[a ? 1 : 0], rate], ["/", () => 0.003, rate], ["/metrics", () => 0.002, 1 / 15],
  ];
  for (let t = START; t <= END; t += STEP) {
    const before = Math.min(t, RELEASE) - START;
    const after = Math.max(0, t - RELEASE);
    for (const [route, seconds, perSecond] of routes) {
      const n = perSecond * (before + after);
      add("shithub_http_requests_total", "counter", `shithub_http_requests_total{${LABELS},route="${route}",method="GET",status="200"} ${n} ${t}`);
      for (const le of [...BUCKETS.map(String), "+Inf"]) {
        const bound = le === "+Inf" ? Infinity : Number(le);
        const count = perSecond * ((seconds(false) <= bound ? before : 0) + (seconds(true) <= bound ? after : 0));
        add("shithub_http_request_duration_seconds", "histogram", `shithub_http_request_duration_seconds_bucket{${LABELS},route="${route}",method="GET",le="${le}"} ${count} ${t}`);
      }
    }
    const commits = 2 * rate * (story.dbCallsPerRequest[0] * before + story.dbCallsPerRequest[1] * after);
    add("pg_stat_database_xact_commit", "counter", `pg_stat_database_xact_commit{${LABELS},datname="shithub"} ${commits} ${t}`);
    add("up", "gauge", `up{${LABELS},job="shithubd"} 1 ${t}`);
    add("shithub_panics", "counter", `shithub_panics_total{${LABELS}} 0 ${t}`);
    add("shithub_log_error_lines", "counter", `shithub_log_error_lines_total{${LABELS},unit="shithubd-web.service"} ${Math.floor((t - START) / 600)} ${t}`);
    add("shithub_actions_queue_depth", "gauge", `shithub_actions_queue_depth{${LABELS},resource="jobs"} 0 ${t}`);
    if (story.release !== false) {
      add("shithub_release_timestamp_seconds", "gauge", `shithub_release_timestamp_seconds{${LABELS},version="${t >= RELEASE ? "v1.9.0" : "v1.8.0"}"} ${t >= RELEASE ? RELEASE : START - 86400} ${t}`);
    }
  }
  const out: string[] = [];
  for (const [family, { type, lines }] of families) out.push(`# TYPE ${family} ${type}`, ...lines);
  return `${out.join("\n")}\n# EOF\n`;
}

const servers: ChildProcess[] = [];
let port = 19190;

/** A Prometheus serving the story's blocks on loopback. */
async function prometheusWith(name: string, story: Story): Promise<string> {
  const dir = join(work, name);
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "data.om"), openMetrics(story));
  writeFileSync(join(dir, "prometheus.yml"), "global: {}\n");
  const created = spawnSync(join(BIN, "promtool"), ["tsdb", "create-blocks-from", "openmetrics", join(dir, "data.om"), join(dir, "data")], { encoding: "utf8" });
  if (created.status !== 0) throw new Error(created.stderr);
  const address = `127.0.0.1:${port++}`;
  const server = spawn(join(BIN, "prometheus"), [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=${address}`], { stdio: "ignore" });
  servers.push(server);
  const url = `http://${address}`;
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false);
    if (ready) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Prometheus for ${name} did not get ready`);
}

async function canary(url: string, now = END) {
  const m = await measure(url, "staging", WINDOW, now);
  const result = judgeCanary(m);
  return { m, result, table: renderCanary(m, result) };
}

afterAll(() => {
  for (const s of servers) s.kill();
  rmSync(work, { recursive: true, force: true });
});

describe("npm run canary against a real Prometheus", () => {
  it("a good release passes every signal, from the recorded series", async () => {
    const { result, table, m } = await canary(await prometheusWith("good", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3] }));
    expect(m.release).toEqual({ version: "v1.9.0", at: RELEASE });
    expect(result.verdict).toBe("pass");
    expect(m.requests.after).toBeCloseTo(2 * 10 * WINDOW, -2);
    expect(table).toContain("verdict: PASS");
    expect(result.rows.map((r) => r.signal)).toEqual(["requests", "p95 /", "p95 /{owner}/{repo}", "DB calls per request", "web ready (scrapes answered)", "job queue (never empty, growing)", "log lines panic|ERROR", "panics"]);
    console.log(table);
  }, 60_000);

  it("ten times the DB calls per request fails, naming the signal", async () => {
    const { result, table } = await canary(await prometheusWith("n-plus-one", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 30] }));
    expect(result.verdict).toBe("fail");
    expect(result.rows.filter((r) => r.verdict === "fail").map((r) => r.signal)).toEqual(["DB calls per request"]);
    expect(table).toContain("verdict: FAIL (DB calls per request)");
    console.log(table);
  }, 60_000);

  it("a p95 regression on a top route fails, naming the route", async () => {
    const { result, table } = await canary(await prometheusWith("slow", { slowRoute: [0.05, 2], dbCallsPerRequest: [3, 3] }));
    expect(result.verdict).toBe("fail");
    expect(result.rows.filter((r) => r.verdict === "fail").map((r) => r.signal)).toEqual(["p95 /{owner}/{repo}"]);
    expect(table).toContain("verdict: FAIL (p95 /{owner}/{repo})");
  }, 60_000);

  it("no release in Prometheus, a soak not over yet, or no traffic: no verdict (exit 2)", async () => {
    const none = await canary(await prometheusWith("no-release", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3], release: false }));
    expect(none.result).toMatchObject({ verdict: "no data", waiting: "no release of staging in Prometheus (shithub_release_timestamp_seconds)" });
    const early = await canary(await prometheusWith("early", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3] }), RELEASE + 12 * 60);
    expect(early.result).toMatchObject({ verdict: "no data", waiting: "v1.9.0 is 12 min into its 30 min soak; ask again in 18 min" });
    // Only Prometheus's scrapes (120 in each window) and a trickle of users: scrapes are no traffic.
    const quiet = await canary(await prometheusWith("quiet", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3], requestsPerSecond: 0.01 }));
    expect(quiet.result.verdict).toBe("no data");
    expect(quiet.table).toMatch(/verdict: NOT YET: too little traffic to compare/);
  }, 90_000);

  it("--record writes the verdict with the Pulumi CLI where the promotion gate reads it, in a form the program accepts", async () => {
    const url = await prometheusWith("record", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3] });
    // A stand-in for the Pulumi CLI that keeps its arguments: the config set the canary runs.
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(work, "pulumi-args")}\n`);
    chmodSync(join(bin, "pulumi"), 0o755);
    const root = join(__dirname, "..", "..");
    const r = spawnSync("npx", ["ts-node", "--swc", "scripts/canary.ts", "--stack", "staging", "--prometheus", url, "--window", "30", "--record"],
      { cwd: root, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stdout).toContain("verdict: PASS");
    expect(r.stdout).toContain("then: commit Pulumi.staging.yaml in a pull request; merged, CI's deploy of staging exports it for the promotion gate");
    expect(r.status).toBe(0);
    const args = readFileSync(join(work, "pulumi-args"), "utf8").trimEnd().split("\n");
    expect(args.slice(0, 3)).toEqual(["config", "set", "shithubd:canaryVerdict"]);
    expect(args.slice(4)).toEqual(["-s", "staging"]);
    // Staging's program takes the value and exports it; production's gate passes on it.
    const canary = configOf(rawConfig({ set: { "shithubd:canaryVerdict": args[3]! } })).canary;
    expect(canary).toMatchObject({ version: "v1.9.0", verdict: "pass", failed: [] });
    const release = { version: "v1.9.0", hosts: { "shithub-staging": { version: "v1.9.0", releasedAt: utcSecond(RELEASE * 1000) } } };
    const decision = judgePromotion({ stack: "production", version: "v1.9.0", promotion: { from: "organization/shithubd/staging", soakMinutes: 30 }, upstream: { release, canary }, now: new Date() });
    expect(decision).toMatchObject({ verdict: "passed", reasons: [] });
  }, 120_000);

  it("the Grafana dashboard is the committed file, and each of its queries returns the recorded series", async () => {
    expect(readFileSync(join(__dirname, "..", "..", "dashboards", "shithub-canary.json"), "utf8")).toBe(canaryDashboardJson());
    const url = await prometheusWith("dashboard", { slowRoute: [0.05, 0.05], dbCallsPerRequest: [3, 3] });
    const panels = canaryDashboard().panels as Array<{ title: string; targets: Array<{ expr: string; legendFormat: string }> }>;
    expect(panels.map((p) => p.title)).toEqual(["p95 latency of the busiest routes", "DB calls per request", "web ready and job queue", "log lines panic|ERROR and panics"]);
    for (const panel of panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll("$env", "staging").replaceAll("$soak", "30m");
        const samples = await instantQuery(url, expr, END);
        expect({ panel: panel.title, legend: target.legendFormat, found: samples.length > 0 }).toEqual({ panel: panel.title, legend: target.legendFormat, found: true });
      }
    }
  }, 120_000);
});

import { spawn } from "node:child_process";
import { PROMETHEUS_QUERY_CURLRC } from "../components/monitoring/prometheusLogin";
import { shellQuote } from "../components/config/problems";
import type { Measurements, Pair } from "./judge";
import { signalQueries } from "./signals";

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export class PrometheusError extends Error {}

/** How a query reaches Prometheus: an HTTP GET, answered with its status and body. */
export type Transport = (url: URL) => Promise<{ readonly status: number; readonly body: string }>;

/** Straight from here (on the monitoring host, or where its address is routed). */
export const direct: Transport = async (url) => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    return { status: response.status, body: await response.text() };
  } catch (err) {
    throw new PrometheusError(`cannot reach Prometheus at ${url.origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
};

/**
 * Through an SSH login on a host that reaches Prometheus (the monitoring host itself): sshd
 * forwards no port on these hosts, so the query runs as curl there, with root's login to
 * Prometheus on that host. `ssh` is the command and its options (`SHITHUB_SSH`, default `ssh`).
 */
export function viaSsh(destination: string, ssh: readonly string[] = ["ssh"]): Transport {
  // One login at a time: sshd drops connections that arrive faster than it lets them start (MaxStartups).
  let queue: Promise<unknown> = Promise.resolve();
  return (url) => {
    const next = queue.then(() => sshQuery(destination, ssh, url));
    queue = next.catch(() => undefined);
    return next;
  };
}

function sshQuery(destination: string, ssh: readonly string[], url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // The remote shell reads one word, whatever the URL holds (a quote in its path included).
    const curl = `curl -K ${PROMETHEUS_QUERY_CURLRC} -sS --max-time 30 -w '\\n%{http_code}' ${shellQuote(url.href)}`;
    const child = spawn(ssh[0]!, [...ssh.slice(1), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", destination, curl], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => reject(new PrometheusError(`cannot run ${ssh[0]}: ${e.message}`)));
    child.on("close", (code) => {
      if (code !== 0) return reject(new PrometheusError(`cannot reach Prometheus at ${url.origin} through ${destination}: ${err.trim() || `exit ${code}`}`));
      const cut = out.lastIndexOf("\n");
      resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut) });
    });
  });
}

/** One instant query of Prometheus's HTTP API (GET /api/v1/query), evaluated at `time` (unix seconds). */
export async function instantQuery(baseUrl: string, query: string, time: number, transport: Transport = direct): Promise<Sample[]> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("query", query);
  url.searchParams.set("time", String(time));
  const response = await transport(url);
  let body: { status?: string; error?: string; data?: { resultType: string; result: Sample[] } } | undefined;
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    body = undefined;
  }
  if (response.status === 401) {
    throw new PrometheusError(`Prometheus at ${baseUrl} wants the environment's login (HTTP 401): query it --via root@<the monitoring host>, where root has it`);
  }
  if (response.status !== 200 || body?.status !== "success" || body.data?.resultType !== "vector") {
    throw new PrometheusError(`Prometheus at ${baseUrl} refused ${query}: ${body?.error ?? `HTTP ${response.status}`}`);
  }
  return body.data.result;
}

const scalar = (samples: Sample[]): number | undefined => {
  const v = samples[0] === undefined ? undefined : Number(samples[0].value[1]);
  return v === undefined || Number.isNaN(v) ? undefined : v;
};

/** Everything the judge needs, read from Prometheus at the release and a window after it. */
export async function measure(baseUrl: string, stack: string, windowSeconds: number, now: number, transport: Transport = direct): Promise<Measurements> {
  const ask = (query: string, time: number): Promise<Sample[]> => instantQuery(baseUrl, query, time, transport);
  const q = signalQueries(stack, windowSeconds);
  const empty: Measurements = { stack, windowSeconds, now, requests: {}, routes: [], dbCalls: {}, webUp: {}, queue: {}, errorLines: {}, panics: {} };
  const [latest] = await ask(q.release, now);
  if (latest === undefined) return empty;
  const release = { version: latest.metric.version ?? "?", at: Number(latest.value[1]) };
  const before = release.at;
  const after = release.at + windowSeconds;
  if (now < after) return { ...empty, release };

  const both = async (query: string): Promise<Pair> => {
    const [b, a] = await Promise.all([ask(query, before), ask(query, after)]);
    return { before: scalar(b), after: scalar(a) };
  };
  const byRoute = async (query: string, time: number): Promise<Map<string, number>> =>
    new Map((await ask(query, time)).map((s) => [s.metric.route ?? "", Number(s.value[1])]));

  const [requests, dbCalls, webUp, errorLines, panics, queueMin, queueGrowth, top, reqBefore, p95Before, p95After] = await Promise.all([
    both(q.requests), both(q.dbCalls), both(q.webUp), both(q.errorLines), both(q.panics),
    ask(q.queueMin, after), ask(q.queueGrowth, after),
    byRoute(q.topRoutes, after), byRoute(q.requestsByRoute, before),
    byRoute(q.p95ByRoute, before), byRoute(q.p95ByRoute, after),
  ]);
  const finite = (v: number | undefined): number | undefined => (v === undefined || !Number.isFinite(v) ? undefined : v);
  const routes = [...top.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([route, n]) => ({
    route,
    requests: { before: reqBefore.get(route) ?? 0, after: n },
    p95: { before: finite(p95Before.get(route)), after: finite(p95After.get(route)) },
  }));
  const queue = { min: scalar(queueMin), growth: scalar(queueGrowth) };
  return { stack, release, windowSeconds, now, requests, routes, dbCalls, webUp, queue: { ...(queue.min !== undefined ? { min: queue.min } : {}), ...(queue.growth !== undefined ? { growth: queue.growth } : {}) }, errorLines, panics };
}

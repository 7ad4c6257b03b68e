import type { Measurements, Pair } from "./judge";
import { signalQueries } from "./signals";

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export class PrometheusError extends Error {}

/** One instant query of Prometheus's HTTP API (GET /api/v1/query), evaluated at `time` (unix seconds). */
export async function instantQuery(baseUrl: string, query: string, time: number): Promise<Sample[]> {
  const url = new URL("api/v1/query", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  url.searchParams.set("query", query);
  url.searchParams.set("time", String(time));
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new PrometheusError(`cannot reach Prometheus at ${baseUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const body = (await response.json().catch(() => undefined)) as { status?: string; error?: string; data?: { resultType: string; result: Sample[] } } | undefined;
  if (!response.ok || body?.status !== "success" || body.data?.resultType !== "vector") {
    throw new PrometheusError(`Prometheus at ${baseUrl} refused ${query}: ${body?.error ?? `HTTP ${response.status}`}`);
  }
  return body.data.result;
}

const scalar = (samples: Sample[]): number | undefined => {
  const v = samples[0] === undefined ? undefined : Number(samples[0].value[1]);
  return v === undefined || Number.isNaN(v) ? undefined : v;
};

/** Everything the judge needs, read from Prometheus at the release and a window after it. */
export async function measure(baseUrl: string, stack: string, windowSeconds: number, now: number): Promise<Measurements> {
  const q = signalQueries(stack, windowSeconds);
  const empty: Measurements = { stack, windowSeconds, now, requests: {}, routes: [], dbCalls: {}, webUp: {}, queue: {}, errorLines: {}, panics: {} };
  const [latest] = await instantQuery(baseUrl, q.release, now);
  if (latest === undefined) return empty;
  const release = { version: latest.metric.version ?? "?", at: Number(latest.value[1]) };
  const before = release.at;
  const after = release.at + windowSeconds;
  if (now < after) return { ...empty, release };

  const both = async (query: string): Promise<Pair> => {
    const [b, a] = await Promise.all([instantQuery(baseUrl, query, before), instantQuery(baseUrl, query, after)]);
    return { before: scalar(b), after: scalar(a) };
  };
  const byRoute = async (query: string, time: number): Promise<Map<string, number>> =>
    new Map((await instantQuery(baseUrl, query, time)).map((s) => [s.metric.route ?? "", Number(s.value[1])]));

  const [requests, dbCalls, webUp, errorLines, panics, queueMin, queueGrowth, top, reqBefore, p95Before, p95After] = await Promise.all([
    both(q.requests), both(q.dbCalls), both(q.webUp), both(q.errorLines), both(q.panics),
    instantQuery(baseUrl, q.queueMin, after), instantQuery(baseUrl, q.queueGrowth, after),
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

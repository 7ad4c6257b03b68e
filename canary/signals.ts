/**
 * The runbook's canary signals as PromQL, for one stack's series (label env) over a window that
 * ends at the instant a query is evaluated: once at the release (the window before it) and once a
 * window later (the soak after it), on the same hosts.
 */
export interface SignalQueries {
  readonly release: string;
  readonly requests: string;
  readonly topRoutes: string;
  readonly requestsByRoute: string;
  readonly p95ByRoute: string;
  readonly dbCalls: string;
  readonly webUp: string;
  readonly queueMin: string;
  readonly queueGrowth: string;
  readonly errorLines: string;
  readonly panics: string;
}

export const TOP_ROUTES = 5;

/** Requests no user makes: Prometheus's scrapes and the health probes (uptime checks, the release step). */
export const PROBE_ROUTES = ["/metrics", "/healthz", "/readyz"];

/** `window`: seconds, or a range as PromQL or Grafana writes it (`$soak`). */
export function signalQueries(env: string, window: number | string): SignalQueries {
  const sel = (extra = ""): string => `{env="${env}"${extra}}`;
  const w = typeof window === "number" ? `[${window}s]` : `[${window}]`;
  const users = `, route!~"${PROBE_ROUTES.join("|")}"`;
  return {
    // The newest release on the stack's app hosts (the release step's report, as a metric).
    release: `topk(1, max by (version) (shithub_release_timestamp_seconds${sel()}))`,
    requests: `sum(increase(shithub_http_requests_total${sel(users)}${w}))`,
    topRoutes: `topk(${TOP_ROUTES}, sum by (route) (increase(shithub_http_requests_total${sel(users)}${w})))`,
    requestsByRoute: `sum by (route) (increase(shithub_http_requests_total${sel(users)}${w}))`,
    p95ByRoute: `histogram_quantile(0.95, sum by (le, route) (rate(shithub_http_request_duration_seconds_bucket${sel(users)}${w})))`,
    // pgx runs each statement outside a transaction block as its own: commits per request track queries per request.
    dbCalls: `sum(increase(pg_stat_database_xact_commit${sel(', datname="shithub"')}${w}))`,
    webUp: `avg(avg_over_time(up${sel(', job="shithubd"')}${w}))`,
    queueMin: `min(min_over_time(shithub_actions_queue_depth${sel(', resource="jobs"')}${w}))`,
    queueGrowth: `max(deriv(shithub_actions_queue_depth${sel(', resource="jobs"')}${w}))`,
    errorLines: `sum(increase(shithub_log_error_lines_total${sel()}${w}))`,
    panics: `sum(increase(shithub_panics_total${sel()}${w}))`,
  };
}

import { signalQueries } from "./signals";

/** One Grafana time-series panel: the signal now, and the same a soak earlier (the canary's baseline). */
interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly description: string;
  readonly queries: ReadonlyArray<{ readonly expr: string; readonly legend: string }>;
}

const NOW_AND_BEFORE = (expr: string, legend: string) => [
  { expr, legend: `${legend} (now)` },
  // The same instant one soak earlier: what the canary compares the soak with.
  { expr: expr.replace(/\[\$soak\]/g, "[$soak] offset $soak"), legend: `${legend} (a soak earlier)` },
];

/**
 * The runbook's four canary signals as a Grafana dashboard, built from the same queries the canary
 * runs (canary/signals.ts): $env is the stack, $soak the window. `npm run dashboard` writes it to
 * dashboards/shithub-canary.json for the operators' Grafana.
 */
export function canaryDashboard(): Record<string, unknown> {
  const q = signalQueries("$env", "$soak");
  const panels: Panel[] = [
    { title: "p95 latency of the busiest routes", unit: "s", description: "Fails the canary when it grows over 1.5x and is over 250 ms.", queries: NOW_AND_BEFORE(`${q.p95ByRoute} and on (route) ${q.topRoutes}`, "{{route}}") },
    { title: "DB calls per request", unit: "none", description: "Postgres commits per request served; 10x is an N+1 regression.", queries: NOW_AND_BEFORE(`${q.dbCalls} / ${q.requests}`, "calls per request") },
    { title: "web ready and job queue", unit: "percentunit", description: "Share of scrapes shithubd answered (a stuck migration or a crash loop drops it); the jobs queue must drain.", queries: [{ expr: q.webUp, legend: "web answered" }, { expr: `max(shithub_actions_queue_depth{env="$env", resource="jobs"})`, legend: "queued jobs" }] },
    { title: "log lines panic|ERROR and panics", unit: "none", description: "shithubd's journal lines matching panic|ERROR and recovered panics over the window.", queries: [...NOW_AND_BEFORE(q.errorLines, "error lines"), ...NOW_AND_BEFORE(q.panics, "panics")] },
  ];
  return {
    title: "shithub canary",
    uid: "shithub-canary",
    description: "The runbook's canary signals; `npm run canary -- --stack <env>` is its text twin and judges them.",
    tags: ["shithub"],
    schemaVersion: 39,
    time: { from: "now-3h", to: "now" },
    templating: {
      list: [
        { name: "env", label: "stack", type: "custom", query: "staging,production", current: { text: "staging", value: "staging" } },
        { name: "soak", label: "soak", type: "custom", query: "30m,1h,2h", current: { text: "30m", value: "30m" } },
      ],
    },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      description: p.description,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 9, w: 12, h: 9 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.queries.map((t, j) => ({ refId: String.fromCharCode(65 + j), expr: t.expr, legendFormat: t.legend })),
    })),
  };
}

/** The dashboard file's text (stable: the test compares the committed file with it). */
export function canaryDashboardJson(): string {
  return `${JSON.stringify(canaryDashboard(), null, 2)}\n`;
}

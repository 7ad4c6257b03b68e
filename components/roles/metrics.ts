import { PROMETHEUS_USER } from "../monitoring/prometheusLogin";
import { readTemplate, renderTemplate } from "../templates";
import type { RoleModule } from "./role";
import { JOB_PARTIALS } from "./jobPartials";

/** Where the environment's Prometheus listens for the agents' remote writes and the canary's queries. */
export const PROMETHEUS_PORT = 9090;

/**
 * Metrics on every host of an environment with a monitoring host: the node exporter and
 * shithub's textfile metrics on loopback, scraped with whatever else runs here (shithubd, Caddy,
 * Postgres's exporter) by Prometheus: in agent mode, pushing to the monitoring host's Prometheus;
 * on the monitoring host, that Prometheus itself.
 */
export const metrics: RoleModule = {
  id: "metrics",
  summary: "node exporter, shithub's textfile metrics, and Prometheus scraping this host (an agent pushing to the monitoring host, or the monitoring host's own)",
  packages: () => ["prometheus", "prometheus-node-exporter", "openssl"],
  openings: [],
  files: () => [
    { name: "prometheus-node-exporter", path: "/etc/default/prometheus-node-exporter", mode: "0644", owner: "root:root" },
    { name: "shithub-node-metrics", path: "/usr/local/bin/shithub-node-metrics", mode: "0755", owner: "root:root" },
    { name: "shithub-node-metrics.env", path: "/etc/shithub-node-metrics.env", mode: "0644", owner: "root:root" },
    { name: "shithub-node-metrics.service", path: "/etc/systemd/system/shithub-node-metrics.service", mode: "0644", owner: "root:root" },
    { name: "shithub-node-metrics.timer", path: "/etc/systemd/system/shithub-node-metrics.timer", mode: "0644", owner: "root:root" },
    { name: "shithubd-metrics.password", path: "/etc/prometheus/shithubd-metrics.password", mode: "0640", owner: "root:prometheus" },
    { name: "shithub-push.password", path: "/etc/prometheus/shithub-push.password", mode: "0640", owner: "root:prometheus" },
    { name: "shithub.yml", path: "/etc/prometheus/shithub.yml", mode: "0644", owner: "root:root" },
    { name: "prometheus.service.conf", path: "/etc/systemd/system/prometheus.service.d/shithub.conf", mode: "0644", owner: "root:root" },
  ],
  // On the monitoring host its Prometheus loads the rules the monitoring step installs.
  step: { name: "metrics-setup", after: ["monitoring"] },
};

/** What this host's Prometheus does: push what it scrapes, or keep and judge everything. */
export type PrometheusMode =
  | { readonly kind: "agent"; readonly receiver: string }
  | { readonly kind: "server"; readonly listen: string; readonly retentionDays: number; readonly retentionGib: number };

export interface MetricsInputs {
  readonly env: string;
  readonly host: string;
  readonly mode: PrometheusMode;
  /** shithubd's address when web runs here, with its /metrics login if the stack sets one. */
  readonly shithubd?: { readonly address: string; readonly basicAuthUser?: string };
  readonly caddy: boolean;
  readonly postgres: boolean;
  /** The domain whose certificate the edge serves here, if it does. */
  readonly domain?: string;
}

export function renderPrometheusConfig(inputs: MetricsInputs): string {
  const { mode } = inputs;
  return renderTemplate(readTemplate("monitoring", "prometheus.yml.mustache"), {
    env: inputs.env,
    host: inputs.host,
    mode: mode.kind,
    agent: mode.kind === "agent" ? { receiver: mode.receiver, pushUser: PROMETHEUS_USER } : false,
    server: mode.kind === "server",
    shithubd: inputs.shithubd ?? false,
    caddy: inputs.caddy,
    postgres: inputs.postgres,
  });
}

/** The host's metrics files (the /metrics password is metricsSecretFiles'). */
export function metricsFiles(inputs: MetricsInputs): Record<string, string> {
  const { mode } = inputs;
  return {
    "prometheus-node-exporter": readTemplate("monitoring", "node-exporter.default.mustache"),
    "shithub-node-metrics": readTemplate("scripts", "shithub-node-metrics.sh"),
    "shithub-node-metrics.env": `# Rendered by shithub-infra: the domain whose certificate shithub-node-metrics reads from the edge.\nDOMAIN=${inputs.domain ?? ""}\n`,
    "shithub-node-metrics.service": renderTemplate(readTemplate("systemd", "shithub-node-metrics.service.mustache"), {}, JOB_PARTIALS),
    "shithub-node-metrics.timer": readTemplate("systemd", "shithub-node-metrics.timer.mustache"),
    "shithub.yml": renderPrometheusConfig(inputs),
    "prometheus.service.conf": renderTemplate(readTemplate("monitoring", "prometheus.service.conf.mustache"), {
      agent: mode.kind === "agent",
      server: mode.kind === "server" ? mode : false,
    }),
  };
}

/**
 * The host's secrets: shithubd's /metrics password for the scrape, and the environment's
 * Prometheus login an agent pushes with (each empty where unused).
 */
export function metricsSecretFiles(shithubdPassword: string | undefined, pushPassword: string | undefined): Record<string, string> {
  return { "shithubd-metrics.password": shithubdPassword ?? "", "shithub-push.password": pushPassword ?? "" };
}

import { readTemplate } from "../templates";
import type { RoleModule } from "./role";

/**
 * Postgres's own metrics on the db host (pg_up, pg_stat_database, pg_stat_archiver): Debian's
 * postgres exporter on loopback, as the database role prometheus (pg_monitor) over the local
 * socket with peer authentication: no password anywhere.
 */
export const postgresMetrics: RoleModule = {
  id: "postgres-metrics",
  summary: "the Postgres exporter (pg_monitor, peer authentication, loopback)",
  packages: () => ["prometheus-postgres-exporter"],
  openings: [],
  files: () => [
    { name: "prometheus-postgres-exporter", path: "/etc/default/prometheus-postgres-exporter", mode: "0644", owner: "root:root" },
  ],
  // Debian's package starts the exporter on install; without a DSN it crash-loops until the step runs.
  bootFiles: () => [{ path: "/etc/default/prometheus-postgres-exporter", content: postgresMetricsFiles()["prometheus-postgres-exporter"]! }],
  step: { name: "postgres-metrics-setup", after: ["db"] },
};

export function postgresMetricsFiles(): Record<string, string> {
  return { "prometheus-postgres-exporter": readTemplate("monitoring", "postgres-exporter.default.mustache") };
}

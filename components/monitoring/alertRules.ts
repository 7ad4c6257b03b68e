import { WAL_ARCHIVE_TIMEOUT_SECONDS } from "../backups/backupHost";
import type { StackConfig } from "../config/stackConfig";
import { readTemplate, renderTemplate } from "../templates";

/** shithubd's pool size when SHITHUB_DB__MAX_CONNS is unset (db.Resolve clamps 0 to 10). */
export const SHITHUBD_DEFAULT_MAX_CONNS = 10;

export interface AlertRulesInputs {
  readonly stack: string;
  /** Every host of the environment: each must keep pushing metrics. */
  readonly hosts: readonly string[];
  /** shithubd's database pool size: the saturation alert's denominator. */
  readonly maxConns: number;
  readonly walIntervalSeconds: number;
  /** Production: the drift alerts too (ConfigDrift, DriftUnchecked). */
  readonly production: boolean;
}

/** What the rules need of a stack's config. */
export function alertRulesInputs(config: StackConfig): AlertRulesInputs {
  const maxConns = config.env.get("SHITHUB_DB__MAX_CONNS")?.value;
  return {
    stack: config.stack,
    hosts: config.hosts.hosts.map((h) => h.name),
    maxConns: typeof maxConns === "string" ? Number(maxConns) : SHITHUBD_DEFAULT_MAX_CONNS,
    walIntervalSeconds: WAL_ARCHIVE_TIMEOUT_SECONDS,
    production: config.production,
  };
}

/** The monitoring host's Prometheus alert rules (templates/monitoring/shithub-alerts.yml.mustache). */
export function renderAlertRules(inputs: AlertRulesInputs): string {
  return renderTemplate(readTemplate("monitoring", "shithub-alerts.yml.mustache"), {
    stack: inputs.stack,
    hosts: inputs.hosts.map((name) => ({ name })),
    maxConns: inputs.maxConns,
    walIntervalSeconds: inputs.walIntervalSeconds,
    production: inputs.production,
  });
}

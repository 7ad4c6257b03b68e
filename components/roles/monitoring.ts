import { yamlString } from "../monitoring/yamlString";
import type { AlertSmtp } from "../monitoring/monitoringConfig";
import { PROMETHEUS_QUERY_CURLRC } from "../monitoring/prometheusLogin";
import type { PrometheusLogin } from "../monitoring/prometheusLogin";
import { readTemplate, renderTemplate } from "../templates";
import { PROMETHEUS_PORT } from "./metrics";
import type { RoleModule } from "./role";

/**
 * The monitoring host: the environment's Prometheus (its metrics role runs it as the server), the
 * alert rules it evaluates, and Alertmanager mailing the alerts. The agents of the other hosts push
 * to it over the VPC, and only they reach it.
 */
export const monitoring: RoleModule = {
  id: "monitoring",
  summary: "the environment's Prometheus (alert rules, the other hosts' pushes) and Alertmanager mailing alertEmails",
  packages: () => ["prometheus-alertmanager"],
  openings: [{ protocol: "tcp", ports: String(PROMETHEUS_PORT), from: "environmentHosts", why: "the other hosts' metrics agents (Prometheus remote write)" }],
  // Alertmanager's mail: the smarthost's port only (a base-egress host reaches no other SMTP port).
  egress: (options) => (options.alertSmtpPort === undefined ? [] : [{ protocol: "tcp", ports: String(options.alertSmtpPort), why: "alert mail to shithubd:alertSmtpSmarthost" }]),
  files: () => [
    { name: "shithub-alerts.yml", path: "/etc/prometheus/shithub-alerts.yml", mode: "0644", owner: "root:root" },
    { name: "alertmanager.yml", path: "/etc/prometheus/alertmanager.yml", mode: "0640", owner: "root:prometheus" },
    { name: "shithub-web.yml", path: "/etc/prometheus/shithub-web.yml", mode: "0640", owner: "root:prometheus" },
    { name: "shithub-query.curlrc", path: PROMETHEUS_QUERY_CURLRC, mode: "0600", owner: "root:root" },
    { name: "prometheus-alertmanager", path: "/etc/default/prometheus-alertmanager", mode: "0644", owner: "root:root" },
  ],
  step: { name: "monitoring-setup", after: [] },
};

export interface AlertmanagerInputs {
  readonly stack: string;
  readonly alertEmails: readonly string[];
  readonly smtp?: { readonly smarthost: string; readonly from: string; readonly username?: string; readonly password?: string };
}

/** Alertmanager's config: holds the SMTP login, so it travels as a secret. */
export function renderAlertmanagerConfig(inputs: AlertmanagerInputs): string {
  return renderTemplate(readTemplate("monitoring", "alertmanager.yml.mustache"), {
    stack: inputs.stack,
    // Quoted and escaped: no value can end its quotes or the line, or be folded.
    smtp: inputs.smtp === undefined ? false : {
      smarthost: yamlString(inputs.smtp.smarthost),
      from: yamlString(inputs.smtp.from),
      username: inputs.smtp.username === undefined ? false : yamlString(inputs.smtp.username),
      password: yamlString(inputs.smtp.password ?? ""),
      emails: inputs.alertEmails.map((email) => ({ email: yamlString(email) })),
    },
  });
}

function plainLogin(login: PrometheusLogin): string {
  const value = `${login.user}:${login.password}`;
  if (!/^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/.test(value)) throw new Error("the Prometheus login must be plain characters for curl's config");
  return `"${value}"`;
}

/** Who may push to and query the environment's Prometheus, and root's login to it (secrets). */
export function prometheusLoginFiles(login: PrometheusLogin): Record<string, string> {
  return {
    // A JSON string is a YAML string. curl's config knows fewer escapes than JSON: the login is
    // plain characters (a fixed name, a base64url password), checked, so no quoting is needed.
    "shithub-web.yml": renderTemplate(readTemplate("monitoring", "prometheus-web.yml.mustache"), { user: login.user, bcrypt: JSON.stringify(login.bcrypt) }),
    "shithub-query.curlrc": renderTemplate(readTemplate("monitoring", "prometheus-query.curlrc.mustache"), { userAndPassword: plainLogin(login) }),
  };
}

/** The monitoring step's files that hold no secret. */
export function monitoringFiles(alertRules: string): Record<string, string> {
  return {
    "shithub-alerts.yml": alertRules,
    "prometheus-alertmanager": readTemplate("monitoring", "alertmanager.default.mustache"),
  };
}

/** What the SMTP settings become in Alertmanager's config (the login revealed: the file is a secret). */
export function alertmanagerSmtp(smtp: AlertSmtp | undefined): AlertmanagerInputs["smtp"] {
  if (smtp === undefined) return undefined;
  return {
    smarthost: smtp.smarthost,
    from: smtp.from,
    ...(smtp.username !== undefined ? { username: smtp.username.reveal() } : {}),
    ...(smtp.password !== undefined ? { password: smtp.password.reveal() } : {}),
  };
}

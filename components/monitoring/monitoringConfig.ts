import { qualified } from "../config/projectKeys";
import type { Problem } from "../config/problems";
import { configSetCommand } from "../config/problems";
import { Sensitive } from "../config/sensitive";

/** Where Alertmanager mails alerts: an SMTP server with STARTTLS, and its login when it needs one. */
export interface AlertSmtp {
  readonly smarthost: string;
  /** The smarthost's port: the monitoring host's firewall lets out to it and no other mail port. */
  readonly port: number;
  readonly from: string;
  /** The login: a secret itself with some providers (Postmark's is the server token). */
  readonly username?: Sensitive;
  readonly password?: Sensitive;
}

/** The environment's monitoring: how long its Prometheus keeps metrics, and where alerts go. */
export interface MonitoringConfig {
  readonly retentionDays: number;
  readonly retentionGib: number;
  /** Unset (not allowed in production): alerts show in Prometheus and Alertmanager only. */
  readonly smtp?: AlertSmtp;
}

export function parseMonitoringConfig(
  stack: string,
  production: boolean,
  project: ReadonlyMap<string, string>,
  emailFrom: string | undefined,
): { config?: MonitoringConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const smarthost = project.get("alertSmtpSmarthost");
  const username = project.get("alertSmtpUsername");
  const password = project.get("alertSmtpPassword");
  if (smarthost === undefined && production) {
    const key = qualified("alertSmtpSmarthost");
    problems.push({ stack, key, message: "is required in production: Alertmanager mails alerts to shithubd:alertEmails through it", fix: configSetCommand(stack, key, "smtp.postmarkapp.com:587", false) });
  }
  if ((username === undefined) !== (password === undefined)) {
    const missing = qualified(username === undefined ? "alertSmtpUsername" : "alertSmtpPassword");
    problems.push({ stack, key: missing, message: "is required with the other half of the SMTP login", fix: configSetCommand(stack, missing, username === undefined ? "alerts@example.org" : "\"$(cat smtp-password)\"", username !== undefined) });
  }
  if ((username !== undefined || password !== undefined) && smarthost === undefined && !production) {
    const key = qualified("alertSmtpSmarthost");
    problems.push({ stack, key, message: "is required with an SMTP login: the server the login is for", fix: configSetCommand(stack, key, "smtp.example.org:587", false) });
  }
  const from = project.get("alertSmtpFrom") ?? emailFrom ?? "";
  if (smarthost !== undefined && from.trim() === "") {
    const key = qualified("alertSmtpFrom");
    problems.push({ stack, key, message: "is required with shithubd:alertSmtpSmarthost when SHITHUB_AUTH__EMAIL_FROM is unset: the sender of alert mail", fix: configSetCommand(stack, key, "alerts@example.org", false) });
  }
  if (problems.length > 0) return { problems };
  return {
    config: {
      retentionDays: Number(project.get("metricsRetentionDays") ?? "30"),
      retentionGib: Number(project.get("metricsRetentionGib") ?? "8"),
      ...(smarthost !== undefined ? {
        smtp: {
          smarthost,
          port: Number(smarthost.slice(smarthost.lastIndexOf(":") + 1)),
          from,
          ...(username !== undefined ? { username: new Sensitive(username) } : {}),
          ...(password !== undefined ? { password: new Sensitive(password) } : {}),
        },
      } : {}),
    },
    problems,
  };
}

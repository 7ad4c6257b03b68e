import { shellQuote } from "../config/problems";

/**
 * The command each verb runs on a host as root, one word list for the remote shell: every
 * operator-given word quoted, so none of it is read as shell (the message, units, shithubd's arguments).
 */
const words = (...w: readonly string[]): string => w.map(shellQuote).join(" ");

export const STATUS_COMMAND = "shithub-status";
export const DRIFT_COMMAND = "shithub-drift";
export const AUDIT_COMMAND = "cat /var/lib/shithub-audit/log 2>/dev/null || true";

/** The journal of `units` (globs allowed) since `since` (journalctl's syntax), as JSON lines; -f follows. */
/**
 * From a time (`since`), or the newest `lines` entries (journalctl counts --lines from --since when
 * given both, so never both).
 */
export function logsCommand(units: readonly string[], from: { readonly since: string } | { readonly lines: number }, follow: boolean): string {
  return words("journalctl", "--no-pager", "--output=json", "--output-fields=MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,__REALTIME_TIMESTAMP",
    "since" in from ? `--since=${from.since}` : `--lines=${from.lines}`, ...units.flatMap((u) => ["--unit", u]), ...(follow ? ["--follow"] : []));
}

export function execCommand(args: readonly string[], interactive: boolean): string {
  return words("shithub-exec", ...(interactive ? ["-i"] : []), "--", ...args);
}

export function maintenanceCommand(state: "on" | "off" | "show", message?: string): string {
  return words("shithub-maintenance", state, ...(state === "on" && message !== undefined ? [message] : []));
}

/** What shithub-status printed on one host (templates/ops/shithub-status.sh), read. */
export interface HostStatus {
  readonly host: string;
  readonly roles: readonly string[];
  /** The host's clock, epoch seconds: ages are taken against it. */
  readonly now: number;
  readonly release?: { readonly version: string; readonly since: string };
  readonly units: ReadonlyArray<{ readonly name: string; readonly active: string; readonly sub: string }>;
  readonly maintenance?: { readonly on: true; readonly since: string; readonly message: string } | { readonly on: false };
  /** Epoch seconds of the newest of each: dump, dr-copy, repos, wal. */
  readonly backups: Readonly<Record<string, number>>;
  readonly certificates: ReadonlyArray<{ readonly domain: string; readonly expires: number }>;
  readonly drift?: { readonly changed: number; readonly missing: number; readonly extra: number } | "unrecorded";
  /** Firing alerts, from the monitoring host's Prometheus ("unreachable" when it did not answer). */
  readonly alerts?: ReadonlyArray<{ readonly name: string; readonly host: string; readonly severity: string }> | "unreachable";
}

/** How old a backup may be before a person should look: the backup alerts' 26 hours (a daily job and its slack). */
export const BACKUP_MAX_AGE_SECONDS: Readonly<Record<string, number>> = { dump: 26 * 3600, "dr-copy": 26 * 3600, repos: 26 * 3600 };
/** A certificate closer than this to its end has not been renewed: Caddy renews with 30 days left. */
export const CERTIFICATE_MIN_SECONDS = 14 * 86400;

function firingAlerts(json: string): HostStatus["alerts"] {
  try {
    const data = JSON.parse(json) as { data?: { alerts?: Array<{ state?: string; labels?: Record<string, string> }> } };
    return (data.data?.alerts ?? []).filter((a) => a.state === "firing")
      .map((a) => ({ name: a.labels?.alertname ?? "?", host: a.labels?.host ?? "", severity: a.labels?.severity ?? "" }));
  } catch {
    return "unreachable";
  }
}

/** shithub-status's lines; unknown lines are skipped (a newer host script, an older command). */
export function parseHostStatus(host: string, text: string): HostStatus {
  let roles: string[] = [];
  let now = 0;
  let release: HostStatus["release"];
  let maintenance: HostStatus["maintenance"];
  let drift: HostStatus["drift"];
  let alerts: HostStatus["alerts"];
  const units: Array<{ name: string; active: string; sub: string }> = [];
  const backups: Record<string, number> = {};
  const certificates: Array<{ domain: string; expires: number }> = [];
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  for (const line of text.split("\n")) {
    const [kind, ...f] = line.split("\t");
    switch (kind) {
      case "host": roles = (f[1] ?? "").split(" ").filter((r) => r !== ""); break;
      case "now": now = num(f[0]) ?? 0; break;
      case "version": if (f[0]) release = { version: f[0], since: f[1] ?? "" }; break;
      case "unit": if (f[0]) units.push({ name: f[0], active: f[1] ?? "", sub: f[2] ?? "" }); break;
      case "maintenance": maintenance = f[0] === "on" ? { on: true, since: f[1] ?? "", message: f.slice(2).join(" ") } : { on: false }; break;
      case "backup": { const at = num(f[1]); if (f[0] && at !== undefined) backups[f[0]] = at; break; }
      case "cert": { const at = num(f[1]); if (f[0] && at !== undefined) certificates.push({ domain: f[0], expires: at }); break; }
      case "drift":
        if (f[0] === "unrecorded") drift = "unrecorded";
        else drift = { changed: num(f[0]) ?? 0, missing: num(f[1]) ?? 0, extra: num(f[2]) ?? 0 };
        break;
      case "alerts": alerts = f[0] === "unreachable" ? "unreachable" : firingAlerts(f.join("\t")); break;
      default: break;
    }
  }
  return {
    host, roles, now, units, backups, certificates,
    ...(release !== undefined ? { release } : {}),
    ...(maintenance !== undefined ? { maintenance } : {}),
    ...(drift !== undefined ? { drift } : {}),
    ...(alerts !== undefined ? { alerts } : {}),
  };
}

/** The shithubd units an app host runs: not active is a person's to look at. */
const APP_UNITS = ["shithubd-web.service", "shithubd-worker.service"];

/** What needs a person on a host, one sentence each (empty: nothing). */
export function needsAPerson(s: HostStatus): string[] {
  const out: string[] = [];
  for (const u of s.units) if (u.active === "failed") out.push(`unit ${u.name} failed (npm run ops -- logs --host ${s.host} --unit ${u.name})`);
  if (s.roles.includes("app")) {
    for (const name of APP_UNITS) {
      const u = s.units.find((x) => x.name === name);
      if (u === undefined || (u.active !== "active" && u.active !== "failed")) out.push(`${name} is ${u?.active ?? "not installed"}`);
    }
  }
  if (s.maintenance?.on === true) out.push(`maintenance is on since ${s.maintenance.since}: writes and pushes are refused (npm run ops -- maintenance off)`);
  for (const [what, max] of Object.entries(BACKUP_MAX_AGE_SECONDS)) {
    const at = s.backups[what];
    if (at !== undefined && s.now - at > max) out.push(`the newest ${what} backup is ${ageText(s.now - at)} old`);
  }
  for (const c of s.certificates) if (c.expires - s.now < CERTIFICATE_MIN_SECONDS) out.push(`the certificate for ${c.domain} expires in ${ageText(c.expires - s.now)}`);
  if (s.drift === "unrecorded") out.push("no step has recorded its files here: drift cannot be checked (pulumi up)");
  else if (s.drift !== undefined && s.drift.changed + s.drift.missing + s.drift.extra > 0) out.push(`drift: ${driftText(s.drift)} (npm run ops -- drift --host ${s.host})`);
  if (s.alerts === "unreachable") out.push("Prometheus did not answer: alerts unknown");
  else for (const a of s.alerts ?? []) out.push(`alert ${a.name} firing${a.host ? ` for ${a.host}` : ""}${a.severity ? ` (${a.severity})` : ""}`);
  return out;
}

export function ageText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

function driftText(d: { changed: number; missing: number; extra: number }): string {
  return `${d.changed} changed, ${d.missing} missing, ${d.extra} extra`;
}

/** One host's status as an operator reads it. */
export function renderHostStatus(s: HostStatus): string {
  const lines = [`${s.host} (${s.roles.join(", ")})`];
  if (s.release !== undefined) lines.push(`  shithubd ${s.release.version} since ${s.release.since}`);
  const units = s.units.map((u) => `${u.name.replace(/\.service$/, "")} ${u.active === "active" ? u.sub : u.active}`);
  if (units.length > 0) lines.push(`  units: ${units.join(", ")}`);
  if (s.maintenance !== undefined) lines.push(`  maintenance: ${s.maintenance.on ? `ON since ${s.maintenance.since}: ${s.maintenance.message}` : "off"}`);
  const backups = Object.entries(s.backups).map(([what, at]) => `${what} ${ageText(s.now - at)} ago`);
  if (backups.length > 0) lines.push(`  newest backups: ${backups.join(", ")}`);
  for (const c of s.certificates) lines.push(`  certificate ${c.domain}: expires ${new Date(c.expires * 1000).toISOString()} (in ${ageText(c.expires - s.now)})`);
  if (s.drift !== undefined) lines.push(`  drift: ${s.drift === "unrecorded" ? "nothing recorded" : driftText(s.drift)}`);
  if (s.alerts !== undefined) lines.push(`  alerts firing: ${s.alerts === "unreachable" ? "unknown (Prometheus did not answer)" : s.alerts.length === 0 ? "none" : s.alerts.map((a) => `${a.name}${a.host ? `@${a.host}` : ""}`).join(", ")}`);
  const problems = needsAPerson(s);
  lines.push(problems.length === 0 ? "  ok" : problems.map((p) => `  NEEDS A PERSON: ${p}`).join("\n"));
  return `${lines.join("\n")}\n`;
}

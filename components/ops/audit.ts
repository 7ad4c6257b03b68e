import { createHash } from "node:crypto";
import { stagedBundle } from "../hosts/bundle";
import { readTemplate } from "../templates";
import type { DeployIdentity } from "./deployIdentity";

/** Where each app host keeps its audit log (templates/ops/shithub-audit.sh). */
export const AUDIT_LOG = "/var/lib/shithub-audit/log";

/** The release a line records: its bundle's sha256 (first 12), so two lines of one version tell a config change apart. */
export function releaseDigest(bundle: string): string {
  return createHash("sha256").update(bundle).digest("hex").slice(0, 12);
}

/** The bundle of an app host's audit step: after its release step, one line in its log. */
export function auditBundle(host: string, version: string, deployer: DeployIdentity, release: string): string {
  return stagedBundle(`shithub-infra audit on ${host}`, {
    AUDIT_VERSION: version,
    AUDIT_COMMIT: deployer.commit,
    AUDIT_WHO: deployer.who,
    AUDIT_RELEASE: release,
  }, {}, readTemplate("ops", "shithub-audit.sh"));
}

/** One line of a host's audit log, as `npm run ops -- audit` reads it. */
export interface AuditRecord {
  readonly host: string;
  readonly at: string;
  readonly version: string;
  readonly commit: string;
  readonly who: string;
  readonly release: string;
}

/** A host's audit log: its well-formed lines (a line cut short by a full disk is skipped). */
export function parseAuditLog(host: string, text: string): AuditRecord[] {
  return text.split("\n").flatMap((line) => {
    const [at, version, commit, who, release, ...rest] = line.split("\t");
    if (rest.length > 0 || at === undefined || release === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(at)) return [];
    return [{ host, at, version: version!, commit: commit!, who: who!, release }];
  });
}

/** Every host's lines, oldest first, as a table. */
export function renderAudit(records: readonly AuditRecord[]): string {
  const sorted = [...records].sort((a, b) => (a.at === b.at ? a.host.localeCompare(b.host) : a.at.localeCompare(b.at)));
  if (sorted.length === 0) return "no release recorded on any host yet\n";
  const rows = [["WHEN (UTC)", "HOST", "VERSION", "COMMIT", "RELEASE", "WHO"], ...sorted.map((r) => [r.at, r.host, r.version, r.commit.slice(0, 12), r.release, r.who])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

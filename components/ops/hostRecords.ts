import { parse as parseYaml } from "yaml";
import { renderUserData } from "../hosts/bootstrap";
import type { Platform } from "../hosts/platform";
import type { HostSpec } from "../hosts/topology";
import { hostModules } from "../roles/index";
import type { RoleOptions } from "../roles/index";
import { backup } from "../roles/backup";
import { manifestName } from "../roles/ops";

/**
 * The records (manifests) a host keeps: one per step its modules run there, and the backup setup
 * on the db host too (its WAL archiving, components/backups/backupSteps.ts, whatever its roles);
 * the ops step prunes the rest.
 */
export function hostSteps(host: HostSpec, options: RoleOptions): string[] {
  const steps = hostModules(host, options).flatMap((m) => (m.step === undefined ? [] : [manifestName(m.step.name)]));
  const wal = host.roles.includes("db") ? [manifestName(backup.step!.name)] : [];
  return [...new Set([...steps, ...wal])];
}

/** The paths a host's user data writes (its write_files), rendered without the host key: no secret. */
export function bootstrapPaths(host: HostSpec, swapGib: number, platform: Platform, options: RoleOptions): string[] {
  const data = parseYaml(renderUserData(host, swapGib, platform, options)) as { write_files?: Array<{ path?: unknown }> } | null;
  return (data?.write_files ?? []).flatMap((f) => (typeof f.path === "string" ? [f.path] : []));
}

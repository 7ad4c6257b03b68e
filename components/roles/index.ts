import type { Platform } from "../hosts/platform";
import type { HostSpec, Role } from "../hosts/topology";
import { access } from "./access";
import { app } from "./app";
import { backup } from "./backup";
import { backupObserver } from "./backupObserver";
import { db } from "./db";
import { drSync } from "./drSync";
import { edge } from "./edge";
import { gitSsh } from "./gitSsh";
import { metrics } from "./metrics";
import { monitoring } from "./monitoring";
import { ops } from "./ops";
import { postgresMetrics } from "./postgresMetrics";
import { reposBackup } from "./reposBackup";
import { appRecovery, dbRecovery } from "./recovery";
import type { RoleId, RoleModule } from "./role";

export const ROLE_MODULES: Readonly<Record<RoleId, RoleModule>> = {
  access, app, edge, "git-ssh": gitSsh, "backup-observer": backupObserver, "repos-backup": reposBackup, db, backup, monitoring, "dr-sync": drSync,
  metrics, "postgres-metrics": postgresMetrics, "db-recovery": dbRecovery, "app-recovery": appRecovery, ops,
};

export interface RoleOptions {
  /** shithubd:gitSsh: app hosts also serve git over SSH. */
  readonly gitSsh: boolean;
  /** The host that copies the backups to the DR region (drSyncHostOf). */
  readonly drSyncHost?: string;
  /** The environment has a monitoring host: every host runs the metrics role. */
  readonly metrics?: boolean;
  /** The port of shithubd:alertSmtpSmarthost: the monitoring host mails alerts to it. */
  readonly alertSmtpPort?: number;
  /** A takeover's live box (`address/32`): the app and db hosts may reach its SSH. */
  readonly takeoverSource?: string;
  /** shithubd:recovery is set: the app and db hosts get the recovery's tools and read key. */
  readonly recovery?: boolean;
}

/**
 * Where the DR copy runs: the monitoring host, which holds no key that writes a primary bucket;
 * without one, the host that dumps (then one compromised host reaches both copies: docs/explanation/backups.md).
 */
export function drSyncHostOf(hosts: readonly HostSpec[]): string | undefined {
  return (hosts.find((h) => h.roles.includes("monitoring")) ?? hosts.find((h) => h.roles.includes("backup")) ?? hosts.find((h) => h.roles.includes("db")))?.name;
}

/** The role options of a stack: git over SSH, the DR copy's host, metrics when there is a monitoring host, the alert smarthost's port. */
export function roleOptionsOf(config: {
  readonly gitSsh: boolean;
  readonly hosts: { readonly hosts: readonly HostSpec[] };
  readonly monitoring?: { readonly smtp?: { readonly port: number } };
  readonly takeover?: { readonly sourceCidr: string };
  readonly recovery?: unknown;
}): RoleOptions {
  const hosts = config.hosts.hosts;
  const smtp = config.monitoring?.smtp;
  return {
    gitSsh: config.gitSsh, drSyncHost: drSyncHostOf(hosts), metrics: hosts.some((h) => h.roles.includes("monitoring")),
    ...(smtp !== undefined ? { alertSmtpPort: smtp.port } : {}),
    ...(config.takeover !== undefined ? { takeoverSource: config.takeover.sourceCidr } : {}),
    ...(config.recovery !== undefined ? { recovery: true } : {}),
  };
}

/** The role modules an operator's topology role brings onto a host. */
export function modulesFor(role: Role, options: RoleOptions): RoleModule[] {
  switch (role) {
    case "app":
      return [app, edge, ...(options.gitSsh ? [gitSsh] : []), backupObserver, reposBackup, ...(options.recovery === true ? [appRecovery] : [])];
    case "db":
      return [db, ...(options.metrics === true ? [postgresMetrics] : []), ...(options.recovery === true ? [dbRecovery] : [])];
    case "backup":
      return [backup];
    case "monitoring":
      return [monitoring];
  }
}

/** Every role module of a host, once each: root's access first, then in the order of its topology roles, the day-2 tools last. */
export function hostModules(host: HostSpec, options: RoleOptions): RoleModule[] {
  return [...new Set([
    access,
    ...host.roles.flatMap((r) => modulesFor(r, options)),
    ...(host.name === options.drSyncHost ? [drSync] : []),
    ...(options.metrics === true ? [metrics] : []),
    // Last: the day-2 tools, on every host.
    ops,
  ])];
}

/** What every host gets, whatever its roles. */
/** python3-systemd: fail2ban's journal backend (the user data's jail.d drop-in). */
export const BASE_PACKAGES: readonly string[] = ["unattended-upgrades", "fail2ban", "python3-systemd", "ca-certificates", "curl", "nftables"];

/** The packages of a host: the base ones and its roles'. */
export function hostPackages(host: HostSpec, platform: Platform, options: RoleOptions): string[] {
  return [...new Set([...BASE_PACKAGES, ...hostModules(host, options).flatMap((m) => m.packages(platform))])].sort();
}

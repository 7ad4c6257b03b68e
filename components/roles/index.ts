import type { Platform } from "../hosts/platform";
import type { HostSpec, Role } from "../hosts/topology";
import { access } from "./access";
import { app } from "./app";
import { backup } from "./backup";
import { backupObserver } from "./backupObserver";
import { db } from "./db";
import { edge } from "./edge";
import { gitSsh } from "./gitSsh";
import { monitoring } from "./monitoring";
import type { RoleId, RoleModule } from "./role";

export const ROLE_MODULES: Readonly<Record<RoleId, RoleModule>> = { access, app, edge, "git-ssh": gitSsh, "backup-observer": backupObserver, db, backup, monitoring };

export interface RoleOptions {
  /** shithubd:gitSsh: app hosts also serve git over SSH. */
  readonly gitSsh: boolean;
}

/** The role modules an operator's topology role brings onto a host. */
export function modulesFor(role: Role, options: RoleOptions): RoleModule[] {
  switch (role) {
    case "app":
      return [app, edge, ...(options.gitSsh ? [gitSsh] : []), backupObserver];
    case "db":
      return [db];
    case "backup":
      return [backup];
    case "monitoring":
      return [monitoring];
  }
}

/** Every role module of a host, once each: root's access first, then in the order of its topology roles. */
export function hostModules(host: HostSpec, options: RoleOptions): RoleModule[] {
  return [...new Set([access, ...host.roles.flatMap((r) => modulesFor(r, options))])];
}

/** What every host gets, whatever its roles. */
export const BASE_PACKAGES: readonly string[] = ["unattended-upgrades", "fail2ban", "ca-certificates", "curl", "nftables"];

/** The packages of a host: the base ones and its roles'. */
export function hostPackages(host: HostSpec, platform: Platform, options: RoleOptions): string[] {
  return [...new Set([...BASE_PACKAGES, ...hostModules(host, options).flatMap((m) => m.packages(platform))])].sort();
}

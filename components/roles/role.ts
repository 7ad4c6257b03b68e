import type { Platform } from "../hosts/platform";
import type { RoleOptions } from "./index";

/** The units of design a host is built from; the operator's topology roles bring them (see index.ts). */
export type RoleId = "access" | "app" | "edge" | "git-ssh" | "backup-observer" | "repos-backup" | "db" | "backup" | "monitoring" | "dr-sync" | "metrics" | "postgres-metrics" | "db-recovery" | "app-recovery" | "ops";

/** Who may reach an opening: anyone, the hosts that use the database, or every other host of the environment (their private /32s). */
export type OpeningSource = "anywhere" | "databaseClients" | "environmentHosts";

/** An inbound port a role needs open in the cloud firewall. */
export interface Opening {
  readonly protocol: "tcp" | "udp";
  readonly ports: string;
  readonly from: OpeningSource;
  readonly why: string;
}

/** An outbound port a role needs beyond the base egress: to any address, as a name's address may change. */
export interface Egress {
  readonly protocol: "tcp" | "udp";
  readonly ports: string;
  readonly why: string;
}

/** A file a role's setup step installs: the name it is staged under, where it goes, mode and owner. */
export interface InstalledFile {
  readonly name: string;
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
}

/**
 * A host role, as data: what it installs (packages, files), what it opens, and its setup step
 * with the roles whose steps must have run before it on any host of the environment.
 */
export interface RoleModule {
  readonly id: RoleId;
  readonly summary: string;
  readonly packages: (platform: Platform) => readonly string[];
  readonly openings: readonly Opening[];
  /** Why its hosts need to reach any address on any port; unset: the base egress is enough (firewallRules.ts). */
  readonly openEgress?: string;
  /** Ports beyond the base egress its hosts connect to, from the stack's settings (e.g. the alert mail smarthost's). */
  readonly egress?: (options: RoleOptions) => readonly Egress[];
  /**
   * The files its setup step installs from the bundle, in order (the library's install_declared).
   * The app and backup roles install theirs with their own scripts (release/, backups/).
   */
  readonly files: (platform: Platform) => readonly InstalledFile[];
  /**
   * Files the user data writes before the packages are installed, for a packaged service that
   * starts as soon as it is installed and would fail without its settings (path and content).
   */
  readonly bootFiles?: () => ReadonlyArray<{ readonly path: string; readonly content: string }>;
  /**
   * The remote step, named `<host>-<step>`; `after`: roles whose steps it waits for, on its own
   * host and on the hosts registered before it (the topology's order, the monitoring host last).
   */
  readonly step?: { readonly name: string; readonly after: readonly RoleId[] };
}

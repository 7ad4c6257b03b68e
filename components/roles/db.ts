import { APP_CONNECTION_LIMIT } from "./dbCapacity";
import type { HostSpec } from "../hosts/topology";
import { postgresConfDir } from "../hosts/platform";
import type { Platform } from "../hosts/platform";
import { readTemplate, renderTemplate } from "../templates";
import type { RoleModule } from "./role";
import { scramSha256Verifier } from "./scram";

export const DATABASE = "shithub";
/** shithubd's role: owns the database, migrates it. */
export const APP_USER = "shithub";
/** pg_dump's role: reads everything, writes nothing. */
export const BACKUP_USER = "shithub_backup";
export const POSTGRES_PORT = 5432;
/** The cluster's data on the host's volume (mounted at /data), per major version. */
export function dataDirectory(platform: Platform): string {
  return `/data/postgresql/${platform.postgresMajor}/main`;
}

/** The setup step's settings: which cluster, and where its data goes. */
export function dbSetupVars(platform: Platform): Record<string, string | number> {
  return { PG_MAJOR: platform.postgresMajor, DATA_DIR: dataDirectory(platform) };
}

/**
 * PostgreSQL on the db host: data on its volume, the shithub role, database and extensions, a
 * read-only role for dumps, and network access only for the hosts that use it. rclone and age are
 * here because the db host seals and archives WAL to the bucket itself.
 */
export const db: RoleModule = {
  id: "db",
  summary: "PostgreSQL: data on the volume, roles, database, extensions; listens on the VPC only for its clients",
  packages: () => ["postgresql", "postgresql-contrib", "rclone", "age", "zstd"],
  openings: [{ protocol: "tcp", ports: String(POSTGRES_PORT), from: "databaseClients", why: "PostgreSQL from the app and backup hosts, over the VPC" }],
  files: (platform) => [
    { name: "shithub.conf", path: `${postgresConfDir(platform)}/conf.d/50-shithub.conf`, mode: "0644", owner: "root:root" },
    { name: "pg_hba.conf", path: `${postgresConfDir(platform)}/pg_hba.conf`, mode: "0640", owner: "root:postgres" },
  ],
  step: { name: "db-setup", after: [] },
};

/** A host that connects to Postgres over the network, and as whom. */
export interface DatabaseClient {
  readonly host: string;
  readonly user: string;
  readonly why: string;
}

/** The hosts that reach Postgres over the VPC: app hosts (as shithub) and the backup host (as shithub_backup), unless they are the db host. */
export function databaseClients(hosts: readonly HostSpec[]): DatabaseClient[] {
  return hosts
    .filter((h) => !h.roles.includes("db"))
    .flatMap((h) => [
      ...(h.roles.includes("app") ? [{ host: h.name, user: APP_USER, why: "shithubd (web, worker, migrations)" }] : []),
      ...(h.roles.includes("backup") ? [{ host: h.name, user: BACKUP_USER, why: "the daily dump" }] : []),
    ]);
}

/** How one host reaches the database: loopback where Postgres is local, else the db host's private address over TLS. */
export function databaseUrl(user: string, password: string, local: boolean, dbPrivateIp: string): string {
  const host = local ? "127.0.0.1" : dbPrivateIp;
  return `postgresql://${user}:${encodeURIComponent(password)}@${host}:${POSTGRES_PORT}/${DATABASE}?sslmode=${local ? "disable" : "require"}`;
}

/** Where Postgres listens and whom pg_hba admits: no secret in it. */
export interface DbNetwork {
  readonly dbPrivateIp: string;
  /** Client host name -> its private address. */
  readonly clientAddresses: Readonly<Record<string, string>>;
  readonly clients: readonly DatabaseClient[];
}

export interface DbPasswords {
  readonly appPassword: string;
  readonly backupPassword: string;
  /** Each role's SCRAM salt (base64, 16 random bytes made once by the stack). */
  readonly appSalt: string;
  readonly backupSalt: string;
}

/** A SQL string literal (the passwords are generated alphanumerics, but never trust that). */
function sqlLiteral(text: string): string {
  return text.replace(/'/g, "''");
}

/** The settings (listen addresses) and pg_hba: loopback always, the VPC address only when a remote host needs it. */
export function dbConfigFiles(net: DbNetwork): Record<string, string> {
  const listen = ["localhost", ...(net.clients.length > 0 ? [net.dbPrivateIp] : [])].join(",");
  const address = (host: string): string => {
    const a = net.clientAddresses[host];
    if (a === undefined) throw new Error(`no private address for database client ${host}`);
    return a;
  };
  return {
    "shithub.conf": renderTemplate(readTemplate("postgresql", "shithub.conf.mustache"), { listen }),
    "pg_hba.conf": renderTemplate(readTemplate("postgresql", "pg_hba.conf.mustache"), {
      clients: net.clients.map((c) => ({ host: c.host, why: c.why, database: DATABASE, user: c.user, address: address(c.host) })),
    }),
  };
}

/** The idempotent SQL that creates the roles (with the generated passwords' SCRAM verifiers), the database and its extensions. */
export function dbRolesSql(passwords: DbPasswords): string {
  return renderTemplate(readTemplate("postgresql", "roles.sql.mustache"), {
    database: DATABASE,
    appUser: APP_USER,
    appConnectionLimit: APP_CONNECTION_LIMIT,
    backupUser: BACKUP_USER,
    appVerifier: sqlLiteral(scramSha256Verifier(passwords.appPassword, Buffer.from(passwords.appSalt, "base64"))),
    backupVerifier: sqlLiteral(scramSha256Verifier(passwords.backupPassword, Buffer.from(passwords.backupSalt, "base64"))),
  });
}

/** Everything the db setup step stages. */
export function dbSetupFiles(net: DbNetwork, passwords: DbPasswords): Record<string, string> {
  return { ...dbConfigFiles(net), "roles.sql": dbRolesSql(passwords) };
}

/**
 * How many connections the database gives shithubd, and how many its pools may take. PostgreSQL
 * keeps its default max_connections (the db role does not set it; the tools tier reads it back),
 * and shithubd's role is limited below it, so a pool that outgrows the server fails shithubd's
 * own connections, never the backups', the exporter's or an operator's.
 */
export const MAX_CONNECTIONS = 100;
/** superuser_reserved_connections' default: root's psql in an incident. */
const SUPERUSER_RESERVED = 3;
/** The dump, the exporter, the drills and the base backup's own check, each one connection at a time. */
const OTHER_CLIENTS = 7;
/** shithubd's role's CONNECTION LIMIT. */
export const APP_CONNECTION_LIMIT = MAX_CONNECTIONS - SUPERUSER_RESERVED - OTHER_CLIENTS;
/** Connections the git hooks of concurrent pushes hold at once (each `shithubd hook` opens its own). */
export const HOOK_HEADROOM = 10;
/** The processes of an app host that each hold a pool of SHITHUB_DB__MAX_CONNS: web, worker and the cron job. */
export const POOLS_PER_APP_HOST = 3;

/** The largest SHITHUB_DB__MAX_CONNS that fits `appHosts` app hosts, or why none does. */
export function largestPool(appHosts: number): number {
  return Math.floor((APP_CONNECTION_LIMIT - HOOK_HEADROOM) / (POOLS_PER_APP_HOST * Math.max(appHosts, 1)));
}

/** Why pools of `maxConns` on `appHosts` app hosts do not fit the database, or undefined. */
export function connectionBudgetProblem(maxConns: bigint, appHosts: number): string | undefined {
  const needed = BigInt(appHosts * POOLS_PER_APP_HOST) * maxConns + BigInt(HOOK_HEADROOM);
  if (needed <= BigInt(APP_CONNECTION_LIMIT)) return undefined;
  return `is ${maxConns}, but ${appHosts} app host(s) × ${POOLS_PER_APP_HOST} pools (web, worker, cron) × ${maxConns} + ${HOOK_HEADROOM} for git hooks = ${needed} connections, more than the ${APP_CONNECTION_LIMIT} PostgreSQL gives shithubd (max_connections ${MAX_CONNECTIONS}, less the superuser's and the backups' and exporter's): at most ${largestPool(appHosts)}`;
}

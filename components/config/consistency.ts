import { ENV_DEFAULTS } from "../env/envDefaults";
import type { EnvValues } from "../env/envValues";
import { textOf } from "../env/envValues";
import type { HostSpec } from "../hosts/topology";
import { connectionBudgetProblem, largestPool } from "../roles/dbCapacity";
import { qualified } from "./projectKeys";
import type { Problem } from "./problems";
import { configSetCommand } from "./problems";
import { hostPort, isLoopbackLiteral } from "./values";

/** shithubd's own default pool size (db.Resolve). */
const SHITHUBD_MAX_CONNS = "10";

/**
 * Settings that more than one file or program reads, checked against each other: a value each
 * consumer accepts on its own can still disagree with what another one assumes. Keys already
 * reported (malformed) are not judged again.
 */
export function consistencyProblems(stack: string, env: EnvValues, hosts: readonly HostSpec[] | undefined, reported: readonly Problem[]): Problem[] {
  const problems: Problem[] = [];
  const fromStack = (name: string): string | undefined => {
    const v = env.get(name);
    const key = qualified(name);
    if (v?.origin !== "stack" || v.placeholder || reported.some((p) => p.key === key)) return undefined;
    return textOf(v);
  };

  // The repositories' root has more readers than shithubd: the volume is mounted at /data, the
  // units may write only there, and the repositories' backup snapshots /data/repos. Another root
  // would be refused by the sandbox, or silently left out of every backup.
  const reposRoot = fromStack("SHITHUB_STORAGE__REPOS_ROOT");
  if (reposRoot !== undefined && reposRoot !== ENV_DEFAULTS.SHITHUB_STORAGE__REPOS_ROOT) {
    const key = qualified("SHITHUB_STORAGE__REPOS_ROOT");
    problems.push({ stack, key, message: `is ${reposRoot}, but the repositories live at ${ENV_DEFAULTS.SHITHUB_STORAGE__REPOS_ROOT}: the app host's volume, the only path the units may write, and what the repositories' backup snapshots`, fix: `pulumi config rm ${key} -s ${stack}` });
  }

  // shithubd's address is read by the edge (its upstream), Prometheus (a target), the release's
  // health checks and web.trusted_proxies (loopback): all on the same host.
  const webAddr = fromStack("SHITHUB_WEB__ADDR");
  if (webAddr !== undefined && !isLoopbackLiteral(hostPort(webAddr)?.host ?? "")) {
    const key = qualified("SHITHUB_WEB__ADDR");
    problems.push({ stack, key, message: "must be a loopback address and port such as 127.0.0.1:8080: the edge on the same host proxies to it, Prometheus scrapes it and the release checks it there, and web.trusted_proxies trusts loopback only; another address would serve shithubd past the edge", fix: configSetCommand(stack, key, "127.0.0.1:8080", false) });
  }

  // Every pool of every app host shares the database's connections.
  const maxConns = fromStack("SHITHUB_DB__MAX_CONNS") ?? SHITHUBD_MAX_CONNS;
  const appHosts = hosts?.filter((h) => h.roles.includes("app")).length ?? 1;
  const budget = !/^\d+$/.test(maxConns) ? undefined : connectionBudgetProblem(BigInt(maxConns), appHosts);
  if (budget !== undefined) {
    const key = qualified("SHITHUB_DB__MAX_CONNS");
    problems.push({ stack, key, message: budget, fix: configSetCommand(stack, key, String(largestPool(appHosts)), false) });
  }
  return problems;
}

import { createServer } from "node:net";

// What several tools-tier tests share: a free loopback port for a server they start, and a walk
// through the JSON a tool prints (Caddy's adapted config, Alertmanager's loaded one).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Every object in `tree` (depth first) for which `pick` holds. */
export function findAll(tree: Json, pick: (node: Json) => boolean): Json[] {
  if (Array.isArray(tree)) return tree.flatMap((n) => findAll(n, pick));
  if (tree === null || typeof tree !== "object") return [];
  return [...(pick(tree) ? [tree] : []), ...Object.values(tree).flatMap((n) => findAll(n, pick))];
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

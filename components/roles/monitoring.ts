import type { RoleModule } from "./role";

/** The monitoring host: today a WireGuard link to the metrics box. */
export const monitoring: RoleModule = {
  id: "monitoring",
  summary: "WireGuard to the metrics box",
  packages: () => ["wireguard"],
  openings: [{ protocol: "udp", ports: "51820", from: "anywhere", why: "WireGuard to the metrics box" }],
  files: () => [],
};

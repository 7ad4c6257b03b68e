import type { EdgeConfig } from "../config/stackConfig";
import { readTemplate, renderTemplate } from "../templates";
import type { RoleModule } from "./role";

/** Caddy in front of shithubd: HTTPS for the domain, and requests held through a restart. */
export const edge: RoleModule = {
  id: "edge",
  summary: "Caddy: HTTPS for the domain, www redirect, git smart HTTP, proxy to shithubd that waits through restarts",
  packages: () => ["caddy"],
  openings: [
    { protocol: "tcp", ports: "80", from: "anywhere", why: "HTTP (redirect to HTTPS, ACME)" },
    { protocol: "tcp", ports: "443", from: "anywhere", why: "HTTPS" },
  ],
  files: () => [
    { name: "maintenance.html", path: "/usr/local/share/shithub-edge/maintenance.html", mode: "0644", owner: "root:root" },
    { name: "Caddyfile", path: "/etc/caddy/Caddyfile", mode: "0644", owner: "root:root" },
  ],
  step: { name: "edge-setup", after: [] },
};

export interface EdgeInputs {
  readonly host: string;
  readonly domain: string;
  /** shithubd's listen address (loopback). */
  readonly upstream: string;
  readonly edge: EdgeConfig;
  /**
   * A takeover's standby: the name still points at the live box, so an ACME order could only
   * fail, and each failure would lengthen Caddy's wait before the next (up to hours): the edge
   * serves with Caddy's own CA until the switch, whose reload orders at once.
   */
  readonly standby?: boolean;
}

export function renderCaddyfile(inputs: EdgeInputs): string {
  const { edge: cfg } = inputs;
  return renderTemplate(readTemplate("caddy", "Caddyfile.mustache"), {
    domain: inputs.domain,
    hostName: inputs.host,
    upstream: inputs.upstream,
    waitSeconds: String(cfg.waitSeconds),
    acmeEmail: cfg.acmeEmail,
    acmeCaUrl: cfg.acmeCaUrl ?? false,
    tlsInternal: cfg.tls === "internal" || inputs.standby === true,
    standby: inputs.standby === true,
  });
}

export function edgeFiles(inputs: EdgeInputs): Record<string, string> {
  return { Caddyfile: renderCaddyfile(inputs), "maintenance.html": readTemplate("caddy", "maintenance.html") };
}

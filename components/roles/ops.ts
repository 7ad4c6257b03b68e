import type { HostSpec } from "../hosts/topology";
import { shellQuote } from "../config/problems";
import { readTemplate, renderTemplate } from "../templates";
import { JOB_PARTIALS } from "./jobPartials";
import type { RoleModule } from "./role";

/**
 * Day-2 operations on every host (npm run ops, docs/explanation/operations.md): the drift check
 * against what each step recorded and its 15-minute timer, the status report, one-off shithubd
 * commands with the web unit's environment and sandbox, and the maintenance switch. Its step
 * also forgets the records of steps this host no longer runs.
 */
export const ops: RoleModule = {
  id: "ops",
  summary: "day-2 tools: shithub-drift (and its timer), shithub-status, shithub-exec, shithub-maintenance; the records of steps the host no longer runs pruned",
  packages: () => [],
  openings: [],
  files: () => [
    { name: "ops.env", path: "/etc/shithub-ops/ops.env", mode: "0644", owner: "root:root" },
    { name: "bootstrap", path: "/etc/shithub-ops/bootstrap", mode: "0644", owner: "root:root" },
    { name: "shithub-drift", path: "/usr/local/bin/shithub-drift", mode: "0755", owner: "root:root" },
    { name: "shithub-status", path: "/usr/local/bin/shithub-status", mode: "0755", owner: "root:root" },
    { name: "shithub-exec", path: "/usr/local/bin/shithub-exec", mode: "0755", owner: "root:root" },
    { name: "shithub-maintenance", path: "/usr/local/bin/shithub-maintenance", mode: "0755", owner: "root:root" },
    { name: "shithub-drift.service", path: "/etc/systemd/system/shithub-drift.service", mode: "0644", owner: "root:root" },
    { name: "shithub-drift.timer", path: "/etc/systemd/system/shithub-drift.timer", mode: "0644", owner: "root:root" },
  ],
  step: { name: "ops-setup", after: [] },
};

/**
 * Where the program puts files and nothing else does, as globs: a file there that no step
 * recorded is drift ("extra"). Directories shared with packages are matched by shithub's names only.
 */
export const OWNED_PATTERNS: readonly string[] = [
  "/etc/shithub/*",
  "/etc/shithub-ops/*",
  "/usr/local/bin/shithub*",
  "/etc/systemd/system/shithub*",
  "/etc/ssh/sshd_config.d/*shithub*",
];

/** Where each step's record lives on a host: the setup library's and the release's SETUP_NAME. */
export function manifestName(step: string): string {
  return `shithub-${step}`;
}

export interface OpsInputs {
  readonly host: HostSpec;
  /** The records this host keeps: its steps' manifests (every other is pruned). */
  readonly steps: readonly string[];
  /** The domain whose certificate the edge serves here, on a host with the edge. */
  readonly domain?: string;
  /** On the monitoring host: its Prometheus's URL and the login root's curl sends (for the firing alerts). */
  readonly prometheus?: { readonly url: string; readonly curlrc: string };
  /** What the user data wrote at first boot (bootstrapPaths): the program's, recorded by no step. */
  readonly bootstrap: readonly string[];
}

export function renderOpsEnv(inputs: OpsInputs): string {
  const vars: Array<[string, string]> = [
    ["HOST", inputs.host.name],
    ["ROLES", inputs.host.roles.join(" ")],
    ["STEPS", inputs.steps.join(" ")],
    ["OWNED", OWNED_PATTERNS.join(" ")],
    ...(inputs.domain !== undefined ? [["DOMAIN", inputs.domain] as [string, string]] : []),
    ...(inputs.prometheus !== undefined ? [["PROMETHEUS_URL", inputs.prometheus.url], ["CURLRC", inputs.prometheus.curlrc]] as Array<[string, string]> : []),
  ];
  return renderTemplate(readTemplate("ops", "ops.env.mustache"), { vars: vars.map(([name, value]) => ({ name, value: shellQuote(value) })) });
}

export function opsFiles(inputs: OpsInputs): Record<string, string> {
  return {
    "ops.env": renderOpsEnv(inputs),
    bootstrap: inputs.bootstrap.map((p) => `${p}\n`).join(""),
    "shithub-drift": readTemplate("ops", "shithub-drift.sh"),
    "shithub-status": readTemplate("ops", "shithub-status.sh"),
    "shithub-exec": readTemplate("ops", "shithub-exec.sh"),
    "shithub-maintenance": readTemplate("ops", "shithub-maintenance.sh"),
    "shithub-drift.service": renderTemplate(readTemplate("systemd", "shithub-drift.service.mustache"), {}, JOB_PARTIALS),
    "shithub-drift.timer": readTemplate("systemd", "shithub-drift.timer.mustache"),
  };
}

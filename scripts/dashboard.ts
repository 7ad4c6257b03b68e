// npm run dashboard: writes dashboards/shithub-canary.json, the canary's signals for Grafana.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { canaryDashboardJson } from "../canary/dashboard";
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";

export const DASHBOARD_COMMAND: CommandSpec = {
  script: "dashboard",
  summary: "write dashboards/shithub-canary.json: the canary's signals as a Grafana dashboard",
  synopsis: [""],
  options: {},
  exits: { [EXIT.ok]: "written", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(DASHBOARD_COMMAND, () => {
  const file = join(__dirname, "..", "dashboards", "shithub-canary.json");
  writeFileSync(file, canaryDashboardJson());
  console.log(`wrote ${file}`);
  return EXIT.ok;
});

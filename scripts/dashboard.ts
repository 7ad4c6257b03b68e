// npm run dashboard: writes dashboards/shithub-canary.json, the canary's signals for Grafana.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { canaryDashboardJson } from "../canary/dashboard";

const file = join(__dirname, "..", "dashboards", "shithub-canary.json");
writeFileSync(file, canaryDashboardJson());
console.log(`wrote ${file}`);

import { ENV_FILES } from "../env/envTemplate";
import { envFilePath } from "../env/envFile";
import { UNIT_NAMES, unitPath } from "../release/units";
import type { RoleModule } from "./role";

/**
 * shithubd itself (web, worker, cron): its env files and units arrive with the release step,
 * which waits for the database and, on a major schema change, for the pre-deploy backup.
 */
export const app: RoleModule = {
  id: "app",
  summary: "shithubd web, worker and cron: binary, env files and units, installed by the release step",
  packages: () => ["git"],
  openings: [],
  files: [
    ...ENV_FILES.map((f) => ({ name: `${f}.env`, path: envFilePath(f), mode: f === "web" ? "0640" : "0600", owner: "shithub:shithub" })),
    ...UNIT_NAMES.map((u) => ({ name: u, path: unitPath(u), mode: "0644", owner: "root:root" })),
  ],
  step: { name: "release", after: ["db", "backup"] },
};

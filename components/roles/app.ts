import type { RoleModule } from "./role";

/**
 * shithubd itself (web, worker, cron): its env files and units arrive with the release step,
 * which waits for the database and, on a major schema change, for the pre-deploy backup.
 */
export const app: RoleModule = {
  id: "app",
  summary: "shithubd web, worker and cron: binary, env files and units, installed by the release step",
  packages: () => ["git", "minisign", "rsync"],
  openings: [],
  openEgress: "webhooks to any address and port a user configures, and the mail backend",
  // Env files and units: templates/scripts/shithub-release.sh installs them (TARGETS).
  files: () => [],
  step: { name: "release", after: ["db", "backup"] },
};

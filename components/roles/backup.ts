import { backupPackages } from "../backups/backupHost";
import type { RoleModule } from "./role";

/**
 * Dumps to the backup bucket (daily timer, DR sync, restore drill). The same setup step runs on
 * the db host for WAL archiving, so it waits for the db host's setup (PostgreSQL on its volume).
 */
export const backup: RoleModule = {
  id: "backup",
  summary: "daily pg_dump to Spaces, DR sync, restore drill; WAL archiving on the db host",
  packages: backupPackages,
  openings: [],
  // Scripts, units and settings: templates/scripts/shithub-backup-setup.sh installs them (BACKUP_FILE_PATHS).
  files: () => [],
  step: { name: "backup-setup", after: ["db"] },
};

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_FILE_PATHS } from "../../components/backupHost";
import { TEMPLATES_DIR } from "../../components/templates";

describe("the backup setup", () => {
  it("installs each file where the plan says it goes", () => {
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-backup-setup.sh"), "utf8");
    const targets = Object.fromEntries([...script.matchAll(/^ {2}"(\S+) (\S+) \S+ \S+"$/gm)].map((m) => [m[1], m[2]]));
    const { "shithub-archive.conf": archive, ...rest } = BACKUP_FILE_PATHS;
    expect(targets).toEqual(rest);
    expect(archive).toMatch(/^\/etc\/postgresql\/\d+\/main\/conf\.d\/shithub-archive\.conf$/);
    expect(script).toContain('"$conf/shithub-archive.conf"');
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_FILE_PATHS } from "../../components/backups/backupHost";
import { envFilePath } from "../../components/env/envFile";
import { TEMPLATES_DIR } from "../../components/templates";
import { UNIT_NAMES, unitPath } from "../../components/release/units";

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

describe("the release script", () => {
  it("installs env files and units where the program says they go", () => {
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-release.sh"), "utf8");
    const targets = Object.fromEntries([...script.matchAll(/^ {2}"(\S+) (\S+) \S+ \S+"$/gm)].map((m) => [m[1], m[2]]));
    expect(targets).toEqual({
      "web.env": envFilePath("web"),
      "worker.env": envFilePath("worker"),
      ...Object.fromEntries(UNIT_NAMES.map((u) => [u, unitPath(u)])),
    });
  });
});

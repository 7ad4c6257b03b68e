import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BACKUP_FILE_PATHS } from "../../components/backups/backupHost";
import { envFilePath } from "../../components/env/envFile";
import { SSH_ENV_PATH } from "../../components/env/sshEnv";
import { TEMPLATES_DIR } from "../../components/templates";
import { UNIT_NAMES, unitPath } from "../../components/release/units";

describe("the backup setup", () => {
  it("installs each file where the plan says it goes", () => {
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-backup-setup.sh"), "utf8");
    // Every file, the keys' too (added to the list by role).
    const targets = Object.fromEntries([...script.matchAll(/(?:^ {2}|targets\+=\()"(\S+) (\S+) \S+ \S+"/gm)].map((m) => [m[1], m[2]]));
    const { "shithub-archive.conf": archive, ...rest } = BACKUP_FILE_PATHS;
    expect(targets).toEqual(rest);
    expect(archive).toMatch(/^\/etc\/postgresql\/\d+\/main\/conf\.d\/shithub-archive\.conf$/);
    expect(script).toContain('"$conf/shithub-archive.conf"');
  });
});

describe("the release script", () => {
  it("installs env files and units where the program says they go, git over SSH reading only ssh.env", () => {
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-release.sh"), "utf8");
    const targets = Object.fromEntries([...script.matchAll(/^ {2}"(\S+) (\S+) \S+ \S+"$/gm)].map((m) => [m[1], m[2]]));
    expect(targets).toEqual({
      "web.env": envFilePath("web"),
      "worker.env": envFilePath("worker"),
      "ssh.env": SSH_ENV_PATH,
      ...Object.fromEntries(UNIT_NAMES.map((u) => [u, unitPath(u)])),
    });
  });

  it("gives the env files to root (systemd reads them as PID 1) and only ssh.env to the shithub group", () => {
    const script = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-release.sh"), "utf8");
    const modes = Object.fromEntries([...script.matchAll(/^ {2}"(\S+\.env) \S+ (\S+) (\S+)"$/gm)].map((m) => [m[1], `${m[2]} ${m[3]}`]));
    expect(modes).toEqual({ "web.env": "0600 root:root", "worker.env": "0600 root:root", "ssh.env": "0640 root:shithub" });
    for (const wrapper of ["shithub-ssh-authkeys", "git-shell-shithubd"]) {
      const text = readFileSync(join(TEMPLATES_DIR, "git-ssh", wrapper), "utf8");
      expect(text).toContain(`. ${SSH_ENV_PATH}\n`);
      expect(text).not.toMatch(/^\. \/etc\/shithub\/(web|worker)\.env/m);
    }
  });
});

describe("the restore drill", () => {
  it("makes, as the scratch cluster's superuser, exactly the extensions the db setup creates", () => {
    const roles = readFileSync(join(TEMPLATES_DIR, "postgresql", "roles.sql.mustache"), "utf8");
    const created = [...roles.matchAll(/^CREATE EXTENSION IF NOT EXISTS (\w+);$/gm)].map((m) => m[1]);
    const drill = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-restore-drill.sh"), "utf8");
    expect(/^extensions=\$\{DRILL_EXTENSIONS:-([^}]*)\}$/m.exec(drill)?.[1]?.split(" ")).toEqual(created);
  });
});

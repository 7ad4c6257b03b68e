import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * A PostgreSQL of another major than this machine's, as a takeover meets one: the live box runs
 * its distribution's (16 on Ubuntu 24.04), the stack's image another. Debian trixie's server
 * (PostgreSQL 17) in a root of its own, built once with mmdebstrap from Debian's archive and kept
 * under /var/tmp. Its postgres user has this machine's uid and gid, so files and peer logins
 * agree on both sides of the chroot.
 */
const CACHE = "/var/tmp/shithub-tools/trixie-postgres";
export const OTHER_ROOT = join(CACHE, "rootfs");

export function otherPostgres(): { root: string; bin: string; major: number } {
  const installed = () => (existsSync(join(OTHER_ROOT, "usr/lib/postgresql")) ? readdirSync(join(OTHER_ROOT, "usr/lib/postgresql")).filter((d) => /^\d+$/.test(d)) : []);
  if (installed().length === 0) {
    if (spawnSync("sh", ["-c", "command -v mmdebstrap"]).status !== 0) {
      execFileSync("sh", ["-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }"]);
    }
    const uid = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
    const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
    const next = `${OTHER_ROOT}.new`;
    rmSync(next, { recursive: true, force: true });
    execFileSync("mkdir", ["-p", CACHE]);
    const built = spawnSync("mmdebstrap", ["--variant=minbase",
      `--customize-hook=chroot "$1" groupadd -g ${gid} postgres && chroot "$1" useradd -u ${uid} -g ${gid} -d /var/lib/postgresql -s /bin/bash postgres`,
      "--customize-hook=mkdir -p \"$1/etc/postgresql-common\" && echo 'create_main_cluster = false' > \"$1/etc/postgresql-common/createcluster.conf\"",
      "--customize-hook=chroot \"$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null",
      "trixie", next, "http://deb.debian.org/debian"], { encoding: "utf8" });
    if (built.status !== 0) throw new Error(`mmdebstrap trixie with PostgreSQL failed:\n${built.stderr.split("\n").slice(-20).join("\n")}`);
    renameSync(next, OTHER_ROOT);
  }
  const major = Number(installed()[0]);
  return { root: OTHER_ROOT, bin: join("/usr/lib/postgresql", String(major), "bin"), major };
}

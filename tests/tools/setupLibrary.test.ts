import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES_DIR } from "../../components/templates";

// The setup library every role's step runs, as root, against directories a less privileged user
// owns (security review N2: the postgres user swapped install_staged's temporary name for a
// symbolic link, and root's chown and chmod landed on /etc/shadow's stand-in).

const NOBODY = 65534;
const library = readFileSync(join(TEMPLATES_DIR, "scripts", "lib", "setup.sh"), "utf8");
// Under root's home: /tmp and /var/tmp are writable by everyone, so nothing under them is root's alone.
const base = mkdtempSync("/root/setup-library-");
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Where the steps' records go in these tests (a host's /var/lib/shithub-manifest). */
const manifests = join(base, "manifest");

function setup(script: string, stage: string): { status: number | null; stderr: string } {
  const run = spawnSync("bash", ["-c", `set -euo pipefail\nSETUP_NAME=test-setup\nSTAGE=${stage}\n${library}\n${script}`], { encoding: "utf8", env: { ...process.env, MANIFEST_DIR: manifests } });
  return { status: run.status, stderr: run.stderr };
}

function world(name: string): { stage: string; dir: string; victim: string } {
  const root = join(base, name);
  const stage = join(root, "stage");
  const dir = join(root, "conf");
  mkdirSync(stage, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(stage, "pg_hba.conf"), "local all postgres peer\n");
  const victim = join(root, "shadow");
  writeFileSync(victim, "root:secret\n", { mode: 0o600 });
  return { stage, dir, victim };
}

const describeAsRoot = process.getuid?.() === 0 ? describe : describe.skip;

describeAsRoot("the setup library records what a step installed, for shithub-drift", () => {
  it("a step that succeeded records the sha256 of each file it installed or found in place; a failed one records nothing", () => {
    rmSync(manifests, { recursive: true, force: true });
    const w = world("recorded");
    expect(setup(`install_staged pg_hba.conf ${w.dir}/pg_hba.conf 0640 root:root\nfalse`, w.stage).status).not.toBe(0);
    expect(existsSync(join(manifests, "test-setup"))).toBe(false);
    const again = world("recorded-2");
    expect(setup(`install_staged pg_hba.conf ${again.dir}/pg_hba.conf 0640 root:root`, again.stage)).toMatchObject({ status: 0 });
    const sum = spawnSync("sha256sum", [join(again.dir, "pg_hba.conf")], { encoding: "utf8" }).stdout;
    expect(readFileSync(join(manifests, "test-setup"), "utf8")).toBe(sum);
  });
});

describeAsRoot("the setup library acts by name only where root alone writes", () => {
  it("installs into a root-owned directory with the declared mode and owner", () => {
    const w = world("root-owned");
    const r = setup(`install_staged pg_hba.conf ${w.dir}/pg_hba.conf 0640 root:nogroup\necho "changed: \${changed[*]}" >&2`, w.stage);
    expect(r).toMatchObject({ status: 0 });
    expect(r.stderr).toContain("changed: pg_hba.conf");
    const st = statSync(join(w.dir, "pg_hba.conf"));
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o640, 0, NOBODY]);
  });

  it("refuses a directory another user owns, before it makes any name there", () => {
    const w = world("nobody-owned");
    chownSync(w.dir, NOBODY, NOBODY);
    const r = setup(`install_staged pg_hba.conf ${w.dir}/pg_hba.conf 0640 root:root`, w.stage);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`test-setup: FAILED: root does not write by name in ${w.dir}: it is owned by nobody`);
    expect(spawnSync("ls", ["-A", w.dir], { encoding: "utf8" }).stdout).toBe("");
  });

  it("refuses a directory others can write, and one under such a directory", () => {
    const w = world("group-writable");
    chmodSync(w.dir, 0o775);
    expect(setup(`install_staged pg_hba.conf ${w.dir}/pg_hba.conf 0640 root:root`, w.stage).stderr).toContain(`root does not write by name in ${w.dir}: others can write to it (drwxrwxr-x)`);
    mkdirSync(join(w.dir, "conf.d"), { mode: 0o755 });
    expect(setup(`install_staged pg_hba.conf ${w.dir}/conf.d/x.conf 0640 root:root`, w.stage).stderr).toContain(`root does not write by name in ${w.dir}: others can write to it`);
  });

  it("takes a package user's directories back, top down; that user then cannot add a name", () => {
    const w = world("claimed");
    const confD = join(w.dir, "conf.d");
    mkdirSync(confD, { mode: 0o755 });
    chownSync(w.dir, NOBODY, NOBODY);
    chownSync(confD, NOBODY, NOBODY);
    const r = setup(`claim_dirs nogroup ${w.dir} ${confD}\ninstall_staged pg_hba.conf ${confD}/pg_hba.conf 0640 root:nogroup`, w.stage);
    expect(r).toMatchObject({ status: 0 });
    for (const d of [w.dir, confD]) expect([statSync(d).uid, statSync(d).gid, statSync(d).mode & 0o777]).toEqual([0, NOBODY, 0o755]);
    const attack = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "ln", "-s", w.victim, join(confD, ".pg_hba.conf.planted")], { encoding: "utf8" });
    expect(attack.status).not.toBe(0);
    expect(attack.stderr).toContain("Permission denied");
  });

  it("refuses to claim a directory that holds a symbolic link, and leaves the link's target alone", () => {
    const w = world("planted");
    chownSync(w.dir, NOBODY, NOBODY);
    symlinkSync(w.victim, join(w.dir, "pg_ident.conf"));
    const r = setup(`claim_dirs nogroup ${w.dir}`, w.stage);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${w.dir} holds a symbolic link (pg_ident.conf )`);
    const st = lstatSync(w.victim);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
  });

  it("a user racing the old way (swapping temporary names for links to root's file) wins nothing", () => {
    // The review's reproduction: the attacker polls the directory it owns and replaces each
    // temporary file with a symbolic link to a root-only file. Against a directory the attacker
    // owns, the step now refuses outright; against a claimed one, the attacker cannot swap.
    const w = world("race");
    chownSync(w.dir, NOBODY, NOBODY);
    const attacker = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "bash", "-c",
      `while :; do for f in ${w.dir}/.pg_hba.conf.*; do [ -e "$f" ] && rm -f "$f" && ln -s ${w.victim} "$f"; done; done`], { stdio: "ignore" });
    try {
      for (let i = 0; i < 20; i++) expect(setup(`install_staged pg_hba.conf ${w.dir}/pg_hba.conf 0640 nobody:nogroup`, w.stage).status).not.toBe(0);
    } finally {
      attacker.kill("SIGKILL");
    }
    const st = statSync(w.victim);
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
  });
});

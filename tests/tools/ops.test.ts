import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseDrift } from "../../components/ops/driftReport";
import { renderUnits } from "../../components/release/units";
import { opsFiles } from "../../components/roles/ops";
import { TEMPLATES_DIR } from "../../components/templates";

// The day-2 tools (templates/ops/) run by bash on a copy of a host's files (ROOT) and, for
// shithub-exec, against stand-ins of systemctl and systemd-run that show what it asks of them.
const work = mkdtempSync(join(tmpdir(), "shithub-ops-tools-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const tool = (name: string) => join(TEMPLATES_DIR, "ops", `${name}.sh`);

function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

describe("shithub-drift", () => {
  /** A host as two steps left it: their files, and sha256sum's records of them. */
  function host(): string {
    const root = mkdtempSync(join(work, "host-"));
    const files: Record<string, Record<string, string>> = {
      "shithub-git-ssh-setup": { "/etc/ssh/sshd_config.d/20-shithub-git.conf": "AllowUsers git\n", "/usr/local/bin/shithub-ssh-authkeys": "#!/bin/bash\n" },
      "shithub-release": { "/etc/systemd/system/shithubd-web.service": "[Service]\n", "/etc/shithub/web.env": "SHITHUB_X=1\n", "/usr/local/bin/shithubd": "binary" },
      // The ops step's own settings: what drift reads its owned places from.
      "shithub-ops-setup": {
        "/etc/shithub-ops/ops.env": opsFiles({ host: { name: "h", size: "s", roles: ["app"] }, steps: [], bootstrap: [] })["ops.env"]!,
        "/etc/shithub-ops/bootstrap": "/etc/ssh/sshd_config.d/10-shithub.conf\n",
      },
    };
    for (const [step, owned] of Object.entries(files)) {
      for (const [path, content] of Object.entries(owned)) put(root, path, content);
      const sums = spawnSync("sha256sum", Object.keys(owned).map((p) => join(root, p)), { encoding: "utf8" }).stdout.split(root).join("");
      put(root, `/var/lib/shithub-manifest/${step}`, sums);
    }
    // The user data's own, recorded by no step; a package's file beside shithub's.
    put(root, "/etc/ssh/sshd_config.d/10-shithub.conf", "PasswordAuthentication no\n");
    put(root, "/etc/ssh/sshd_config.d/50-cloud-init.conf", "x\n");
    put(root, "/etc/systemd/system/multi-user.target.wants/ssh.service", "x\n");
    return root;
  }
  const drift = (root: string, ...args: string[]) => spawnSync("bash", [tool("shithub-drift"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH, ROOT: root } });

  it("finds nothing on a host as its steps left it, and says how much it compared", () => {
    const r = drift(host());
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: "checked\t7\t3\n", stderr: "" });
  });

  it("finds a hand-edited sshd drop-in, a deleted unit and a file no step installed, and records the counts for the metrics", () => {
    const root = host();
    writeFileSync(join(root, "etc/ssh/sshd_config.d/20-shithub-git.conf"), "AllowUsers git root\n");
    unlinkSync(join(root, "etc/systemd/system/shithubd-web.service"));
    put(root, "/usr/local/bin/shithub-by-hand", "#!/bin/sh\n");
    const r = drift(root, "--record");
    expect(r.status).toBe(1);
    expect(parseDrift("h", r.stdout)).toEqual({ host: "h", checked: { files: 7, steps: 3 }, findings: [
      { kind: "changed", path: "/etc/ssh/sshd_config.d/20-shithub-git.conf", step: "shithub-git-ssh-setup" },
      { kind: "missing", path: "/etc/systemd/system/shithubd-web.service", step: "shithub-release" },
      { kind: "extra", path: "/usr/local/bin/shithub-by-hand", step: "-" },
    ] });
    expect(readFileSync(join(root, "var/lib/shithub-drift/result"), "utf8")).toMatch(/^\d+ 1 1 1\n$/);
  });

  it("exits 2 on a host no step has recorded yet", () => {
    const r = drift(mkdtempSync(join(work, "empty-")));
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: "checked\t0\t0\n" });
  });
});

describe("shithub-maintenance", () => {
  it("turns the forge read-only with one line of the message, shows it, and back", () => {
    const root = mkdtempSync(join(work, "maint-"));
    const run = (...args: string[]) => spawnSync("bash", [tool("shithub-maintenance"), ...args], { encoding: "utf8", env: { PATH: process.env.PATH, ROOT: root } });
    expect(run("show").stdout).toBe("maintenance\toff\n");
    const on = run("on", "moving to a new\ndatabase\u0007 back at 10:00");
    expect(on.status).toBe(0);
    expect(on.stdout).toMatch(/^maintenance\ton\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tmoving to a new database back at 10:00\n$/);
    expect(readFileSync(join(root, "var/lib/shithub-maintenance/message.txt"), "utf8")).toBe("moving to a new database back at 10:00\n");
    expect(run("show").stdout).toBe(on.stdout);
    expect(run("off").stdout).toBe("maintenance\toff\n");
    expect(run("on").stdout).toContain("shithub is read-only for maintenance");
    expect(run("sideways").status).toBe(64);
  });
});

describe("shithub-exec", () => {
  it("runs shithubd with the web unit's [Service] properties but its lifecycle, stdin closed, the arguments as given", () => {
    const bin = mkdtempSync(join(work, "bin-"));
    const unit = renderUnits({ dbLocal: false, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" })["shithubd-web.service"];
    writeFileSync(join(bin, "unit"), `# /etc/systemd/system/shithubd-web.service\n${unit}\n# /etc/systemd/system/shithubd-web.service.d/x.conf\n[Service]\nEnvironment=EXTRA=1\n`);
    writeFileSync(join(bin, "systemctl"), `#!/bin/bash\n[ "$1" = cat ] && [ "$2" = shithubd-web.service ] && cat "${join(bin, "unit")}"\n`);
    // Prints each argument on a line, then what it read on stdin.
    writeFileSync(join(bin, "systemd-run"), "#!/bin/bash\nprintf '%s\\n' \"$@\"; echo \"stdin: $(cat)\"\n");
    for (const f of ["systemctl", "systemd-run"]) chmodSync(join(bin, f), 0o755);
    const r = spawnSync("bash", [tool("shithub-exec"), "--", "admin", "user", "set-password", "a b"], { encoding: "utf8", input: "secret?", env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe("");
    const args = r.stdout.split("\n");
    const props = args.flatMap((a, i) => (args[i - 1] === "-p" ? [a] : []));
    expect(props).toEqual(expect.arrayContaining(["User=shithub", "Group=shithub", "EnvironmentFile=/etc/shithub/web.env", "ProtectSystem=strict", "NoNewPrivileges=yes",
      "ReadWritePaths=/data /var/lib/shithub", "SystemCallFilter=~@privileged", "IPAddressDeny=169.254.169.254/32", "Environment=EXTRA=1"]));
    expect(props.filter((p) => /^(Type|ExecStart|ExecStartPre|Restart|RestartSec|TimeoutStartSec)=/.test(p))).toEqual([]);
    expect(props.filter((p) => /^(Description|Wants|After|WantedBy)=/.test(p))).toEqual([]);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "/usr/local/bin/shithubd", "admin", "user", "set-password", "a b", "stdin: ", ""]);
    expect(args).toEqual(expect.arrayContaining(["--pipe", "--wait", "--collect"]));
    // -i: stdin reaches shithubd.
    const i = spawnSync("bash", [tool("shithub-exec"), "-i", "--", "admin"], { encoding: "utf8", input: "typed", env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(i.stdout).toContain("stdin: typed\n");
  });
});

describe("npm run ops: a wrong command line touches nothing", () => {
  /** scripts/ops.ts as npm run ops runs it, with `env` added to this process's environment. */
  const opsWith = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync("npx", ["ts-node", "--swc", "scripts/ops.ts", ...args],
    { cwd: join(__dirname, "..", ".."), encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  const ops = (...args: string[]) => opsWith({}, ...args, "--hosts", join(work, "no-such-hosts.json"));

  it.each([
    [["logs", "--stack", "staging", "--lines", "0"], `--lines takes a whole number of entries from 1 to 100000, not "0"`],
    [["logs", "--stack", "staging", "-n", "1e3"], `--lines takes a whole number of entries from 1 to 100000, not "1e3"`],
    [["status", "--stack", "staging", "--lines", "5"], "--lines goes with logs"],
    [["logs", "--stack", "staging", "--lines", "5", "--since=-3h"], "--lines takes the newest entries, --since those from a time: give one of them"],
  ])("%j is refused before the hosts are read", (args, message) => {
    const r = ops(...args);
    expect(r.status).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe(`error: ${message}`);
  });

  it("without the Pulumi CLI: says how to give the hosts as a file", () => {
    const r = opsWith({ PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }, "status", "--stack", "staging");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("could not read stack staging's hosts");
    expect(r.stderr).toContain("pulumi stack output hosts --json -s staging > hosts.json, then --hosts hosts.json");
  });

  it("a host ssh cannot reach: exit 1, naming the host and what to check", () => {
    const hosts = join(work, "hosts.json");
    writeFileSync(hosts, JSON.stringify({ "shithub-app": { roles: ["app"], publicIpv4: "127.0.0.1", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" } }));
    const key = join(work, "key");
    writeFileSync(key, "not a key\n", { mode: 0o600 });
    // Port 9 (discard): nothing listens; the connection is refused at once.
    const r = opsWith({ SHITHUB_SSH: "ssh -p 9" }, "drift", "--stack", "staging", "--hosts", hosts, "--key", key);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^shithub-app: unreachable or refused \(ssh exit 255: .*Connection refused\); root logs in from shithubd:adminCidrs only: is this machine's address in it\? \(pulumi config get shithubd:adminCidrs -s staging\)$/m);
  });

  it("takes --lines with logs (and only then reads the hosts)", () => {
    const r = ops("logs", "--stack", "staging", "--lines", "40");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no-such-hosts.json");
  });
});

import type { RecordedResource } from "../../offline/run";
import { drSyncHostOf, hostModules, hostPackages } from "../../components/roles";
import { platformOf } from "../../components/hosts/platform";
import type { HostSpec } from "../../components/hosts/topology";
import { SECRET_SIG, unwrapSecret } from "../../offline/summary";
import { planOf, ROOT, stackCopy } from "./stackCopy";
import { stagedFile } from "../helpers";
import bcrypt from "bcryptjs";

// The roles as the program registers them, for both committed stacks: which setup steps run on
// which host and after what, and which files each host receives.
const COMMAND = "command:remote:Command";
const steps = (resources: RecordedResource[]) =>
  Object.fromEntries(resources.filter((r) => r.type === COMMAND).map((r) => [r.name, [...(r.options?.dependsOn ?? [])].sort()]));

describe("production: roles on four hosts", () => {
  let plan: Awaited<ReturnType<typeof planOf>>;
  beforeAll(async () => {
    plan = await planOf(ROOT, "production");
  });

  it("runs each role's setup step on its host, the database before the backups and the release", () => {
    const s = steps(plan.resources);
    expect(Object.keys(s).sort()).toEqual([
      "shithub-app-access-setup", "shithub-app-audit", "shithub-app-backup-observer-setup", "shithub-app-edge-setup", "shithub-app-git-ssh-setup", "shithub-app-metrics-setup",
      "shithub-app-ops-setup", "shithub-app-release",
      "shithub-app-repos-backup-setup", "shithub-backup-access-setup", "shithub-backup-backup-setup", "shithub-backup-metrics-setup", "shithub-backup-ops-setup", "shithub-db-access-setup",
      "shithub-db-backup-setup", "shithub-db-db-setup", "shithub-db-metrics-setup", "shithub-db-ops-setup", "shithub-db-postgres-metrics-setup", "shithub-monitoring-access-setup",
      "shithub-monitoring-dr-sync-setup", "shithub-monitoring-metrics-setup", "shithub-monitoring-monitoring-setup", "shithub-monitoring-ops-setup",
    ]);
    // Each release is followed by its audit line, on its host.
    expect(s["shithub-app-audit"]).toEqual(["shithub-app-release"]);
    expect(s["shithub-db-db-setup"]).toEqual(["production-firewalls", "shithub-db", "shithub-db-data-on-shithub-db"]);
    expect(s["shithub-app-release"]).toContain("shithub-db-db-setup");
    expect(s["shithub-db-backup-setup"]).toContain("shithub-db-db-setup");
    expect(s["shithub-backup-backup-setup"]).toContain("shithub-db-db-setup");
    // The edge and git over SSH need nothing of the database.
    expect(s["shithub-app-edge-setup"]).toEqual(["production-firewalls", "shithub-app", "shithub-data-on-shithub-app"]);
    // The monitoring host's Prometheus starts once its rules and Alertmanager are there.
    expect(s["shithub-monitoring-metrics-setup"]).toContain("shithub-monitoring-monitoring-setup");
    // ... and asks for the login only once every agent has it.
    expect(s["shithub-monitoring-metrics-setup"]).toEqual(expect.arrayContaining(["shithub-app-metrics-setup", "shithub-db-metrics-setup", "shithub-backup-metrics-setup"]));
  });

  it("waits for the same steps whatever the order of the hosts in shithubd:hosts", async () => {
    const reversed = await planOf(stackCopy("production", (c) => { c["shithubd:hosts"] = [...(c["shithubd:hosts"] as unknown[])].reverse(); }), "production");
    expect(steps(reversed.resources)).toEqual(steps(plan.resources));
  });

  it("pushes every host's metrics to the monitoring host's private address, labelled with the stack and the host", () => {
    const monitoringIp = plan.resources.find((r) => r.type === "digitalocean:index/droplet:Droplet" && r.inputs.name === "shithub-monitoring");
    expect(monitoringIp).toBeDefined();
    const config = (host: string) => plan.files.find((f) => f.host === host && f.path === "/etc/prometheus/shithub.yml")!.content;
    const receiver = /url: "http:\/\/(10\.10\.0\.\d+):9090\/api\/v1\/write"/;
    for (const host of ["shithub-app", "shithub-db", "shithub-backup"]) {
      expect(config(host)).toMatch(receiver);
      expect(config(host)).toContain(`labels: {env: "production", host: "${host}"}`);
    }
    expect(config("shithub-app")).toMatch(/job_name: shithubd\n {4}static_configs:\n {6}- targets: \["127\.0\.0\.1:8080"\]/);
    expect(config("shithub-db")).toContain("job_name: postgres");
    expect(config("shithub-backup")).not.toMatch(/job_name: (shithubd|postgres|caddy)/);
    // The monitoring host keeps the data, on the address the agents push to, and judges the rules.
    const server = config("shithub-monitoring");
    expect(server).not.toContain("remote_write");
    expect(server).toContain("rule_files: [/etc/prometheus/shithub-alerts.yml]");
    const address = receiver.exec(config("shithub-app"))![1]!;
    const dropIn = plan.files.find((f) => f.host === "shithub-monitoring" && f.path === "/etc/systemd/system/prometheus.service.d/shithub.conf")!.content;
    expect(dropIn).toContain(`--web.listen-address=${address}:9090 --web.config.file=/etc/prometheus/shithub-web.yml --web.enable-remote-write-receiver`);
    expect(dropIn).toContain("--storage.tsdb.retention.time=30d --storage.tsdb.retention.size=8GB");
  });

  it("gives the monitoring host's Prometheus one login, which its agents push with and root there queries with; the password is in secret files only", () => {
    const bundle = (host: string, step: string) => {
      const f = plan.files.find((x) => x.host === host && x.path === `/run/shithub-${step}.bundle`)!;
      expect(f.secret).toBe(true);
      return f.content;
    };
    const web = stagedFile(bundle("shithub-monitoring", "monitoring-setup"), "shithub-web.yml")!;
    const hash = JSON.parse(/^ {2}shithub: (".+")$/m.exec(web)![1]!) as string;
    const passwords = ["shithub-app", "shithub-db", "shithub-backup"].map((host) => {
      expect(plan.files.find((f) => f.host === host && f.path === "/etc/prometheus/shithub.yml")!.content)
        .toContain('    basic_auth:\n      username: "shithub"\n      password_file: /etc/prometheus/shithub-push.password\n');
      return stagedFile(bundle(host, "metrics-setup"), "shithub-push.password")!;
    });
    expect(new Set(passwords).size).toBe(1);
    const password = passwords[0]!;
    expect(password.length).toBeGreaterThanOrEqual(43);
    expect(bcrypt.compareSync(password, hash)).toBe(true);
    expect(bcrypt.compareSync(`${password}x`, hash)).toBe(false);
    expect(stagedFile(bundle("shithub-monitoring", "monitoring-setup"), "shithub-query.curlrc")).toContain(`\nuser = "shithub:${password}"\n`);
    for (const f of plan.files.filter((x) => !x.secret)) expect(f.content).not.toContain(password);
  });

  it("puts the Caddyfile and the git-ssh files on the app host, pg_hba on the db host, the WAL key where WAL is archived", () => {
    const paths = (host: string) => plan.files.filter((f) => f.host === host).map((f) => f.path);
    expect(paths("shithub-app")).toEqual(expect.arrayContaining([
      "/etc/caddy/Caddyfile", "/usr/local/bin/shithub-ssh-authkeys", "/var/lib/git/git-shell-commands/shithubd", "/etc/ssh/sshd_config.d/20-shithub-git.conf",
    ]));
    expect(paths("shithub-db")).toEqual(expect.arrayContaining([
      "/etc/postgresql/15/main/pg_hba.conf", "/etc/postgresql/15/main/conf.d/50-shithub.conf", "/etc/shithub-backup/wal-rclone.conf", "/usr/local/bin/shithub-wal-archive",
    ]));
    expect(paths("shithub-db")).not.toContain("/etc/caddy/Caddyfile");
    const userData = plan.files.find((f) => f.host === "shithub-db" && f.path.endsWith("user-data.txt"))!.content;
    expect(userData).toMatch(/^ {2}- rclone$/m);
  });

  it("keeps the database passwords out of every plain file, and in the db setup bundle only as a secret", () => {
    const web = plan.files.find((f) => f.host === "shithub-app" && f.path === "/etc/shithub/web.env")!;
    const password = /postgresql:\/\/shithub:([^@]+)@/.exec(web.content)![1]!;
    for (const f of plan.files.filter((file) => !file.secret)) expect(f.content).not.toContain(password);
    const dbSetup = plan.resources.find((r) => r.name === "shithub-db-db-setup")!;
    expect(dbSetup.inputs.stdin).toMatchObject({ [SECRET_SIG]: expect.any(String) });
    expect(String(unwrapSecret(dbSetup.inputs.stdin))).toContain("stage_file roles.sql");
  });

  it("declares per role what cloud-init installs", () => {
    const ubuntu = platformOf("ubuntu-24-04-x64")!;
    const app: HostSpec = { name: "a", size: "s-1vcpu-2gb", roles: ["app"], volume: { name: "v", sizeGib: 1 } };
    expect(hostModules(app, { gitSsh: true }).map((m) => m.id)).toEqual(["access", "app", "edge", "git-ssh", "backup-observer", "repos-backup", "ops"]);
    expect(hostModules(app, { gitSsh: false }).map((m) => m.id)).toEqual(["access", "app", "edge", "backup-observer", "repos-backup", "ops"]);
    // The DR copy goes where drSyncHostOf says: the monitoring host, else the one that dumps.
    const monitoring: HostSpec = { name: "m", size: "s-1vcpu-2gb", roles: ["monitoring"] };
    expect(hostModules(monitoring, { gitSsh: true, drSyncHost: "m" }).map((m) => m.id)).toEqual(["access", "monitoring", "dr-sync", "ops"]);
    expect(hostModules(monitoring, { gitSsh: true, drSyncHost: "m", metrics: true }).map((m) => m.id)).toEqual(["access", "monitoring", "dr-sync", "metrics", "ops"]);
    expect(hostModules({ ...monitoring, roles: ["db"] }, { gitSsh: true, metrics: true }).map((m) => m.id)).toEqual(["access", "db", "postgres-metrics", "metrics", "ops"]);
    expect(drSyncHostOf([app, monitoring])).toBe("m");
    expect(drSyncHostOf([app, { ...monitoring, roles: ["db"] }, { ...monitoring, name: "b", roles: ["backup"] }])).toBe("b");
    expect(hostPackages({ ...app, roles: ["db"] }, ubuntu, { gitSsh: true })).toEqual(expect.arrayContaining(["postgresql", "postgresql-contrib", "rclone"]));
  });
});

describe("staging: every role on one host", () => {
  it("runs every setup step on the one host, the release last of those it waits for", async () => {
    const s = steps((await planOf(ROOT, "staging")).resources);
    expect(Object.keys(s).sort()).toEqual([
      "shithub-staging-access-setup", "shithub-staging-audit", "shithub-staging-backup-observer-setup", "shithub-staging-backup-setup", "shithub-staging-db-setup", "shithub-staging-dr-sync-setup",
      "shithub-staging-edge-setup", "shithub-staging-git-ssh-setup", "shithub-staging-metrics-setup", "shithub-staging-monitoring-setup",
      "shithub-staging-ops-setup", "shithub-staging-postgres-metrics-setup", "shithub-staging-release", "shithub-staging-repos-backup-setup",
    ]);
    // Prometheus loads the rules the monitoring step installs; the exporter's role needs the database.
    expect(s["shithub-staging-metrics-setup"]).toContain("shithub-staging-monitoring-setup");
    expect(s["shithub-staging-postgres-metrics-setup"]).toContain("shithub-staging-db-setup");
    expect(s["shithub-staging-release"]).toContain("shithub-staging-db-setup");
  });

  it("keeps Postgres on loopback: no remote client, so pg_hba admits no network address and the URL has no TLS", async () => {
    const { files } = await planOf(ROOT, "staging");
    const hba = files.find((f) => f.path.endsWith("pg_hba.conf"))!.content;
    expect(hba).not.toMatch(/^hostssl/m);
    expect(files.find((f) => f.path.endsWith("50-shithub.conf"))!.content).toContain("listen_addresses = 'localhost'");
    expect(files.find((f) => f.path === "/etc/shithub/web.env")!.content).toMatch(/SHITHUB_DATABASE_URL="postgresql:\/\/shithub:[A-Za-z0-9]+@127\.0\.0\.1:5432\/shithub\?sslmode=disable"/);
  });
});

import { unwrapSecret } from "../../offline/summary";
import { planOf, ROOT } from "./stackCopy";

// The day-2 tools as the program puts them on the committed production stack's hosts, and what
// npm run ops reads from the stack: each host's pinned key, its steps' records, the audit step.
const COMMAND = "command:remote:Command";

describe("production: the day-2 tools on every host", () => {
  let plan: Awaited<ReturnType<typeof planOf>>;
  beforeAll(async () => {
    plan = await planOf(ROOT, "production");
  });
  const file = (host: string, path: string) => plan.files.find((f) => f.host === host && f.path === path)?.content;

  it("exports each host's key: the very key every step to that host verifies", () => {
    const hosts = plan.outputs.hosts as Record<string, { hostKey: string; publicIpv4: string }>;
    const steps = plan.resources.filter((r) => r.type === COMMAND);
    for (const [name, h] of Object.entries(hosts)) {
      expect(h.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
      const own = steps.filter((s) => s.name.startsWith(`${name}-`));
      expect(own.length).toBeGreaterThan(0);
      for (const s of own) expect((unwrapSecret(s.inputs.connection) as { hostKey: string }).hostKey).toBe(h.hostKey);
    }
  });

  it("runs the ops setup on every host, which keeps the records of that host's own steps and no other", () => {
    for (const host of ["shithub-app", "shithub-db", "shithub-backup", "shithub-monitoring"]) {
      expect(plan.resources.some((r) => r.type === COMMAND && r.name === `${host}-ops-setup`)).toBe(true);
      expect(file(host, "/usr/local/bin/shithub-drift")).toContain("shithub-drift");
      expect(file(host, "/etc/systemd/system/shithub-drift.timer")).toContain("OnUnitActiveSec=15min");
    }
    const steps = (host: string) => /^STEPS='?([^'\n]*)'?$/m.exec(file(host, "/etc/shithub-ops/ops.env")!)![1]!.split(" ");
    expect(steps("shithub-app")).toEqual(["shithub-access-setup", "shithub-release", "shithub-edge-setup", "shithub-git-ssh-setup",
      "shithub-backup-observer-setup", "shithub-repos-backup-setup", "shithub-metrics-setup", "shithub-ops-setup"]);
    // The db host archives WAL with the backup setup, though it has no backup role.
    expect(steps("shithub-db")).toEqual(["shithub-access-setup", "shithub-db-setup", "shithub-postgres-metrics-setup", "shithub-metrics-setup", "shithub-ops-setup", "shithub-backup-setup"]);
    // Every step that installs files on a host keeps its record there: a step's manifest is named as its bundle's SETUP_NAME.
    const installing = (name: string) => !/-(audit|pre-release-backup|post-release-drill)$/.test(name);
    for (const host of ["shithub-app", "shithub-db", "shithub-backup", "shithub-monitoring"]) {
      const ran = plan.resources.filter((x) => x.type === COMMAND && x.name.startsWith(`${host}-`) && installing(x.name)).map((x) => `shithub-${x.name.slice(host.length + 1)}`);
      expect(steps(host).sort()).toEqual(ran.sort());
    }
  });

  it("lists what the user data wrote as the program's, and asks the monitoring host's Prometheus for the firing alerts", () => {
    const bootstrap = file("shithub-app", "/etc/shithub-ops/bootstrap")!.split("\n");
    expect(bootstrap).toEqual(expect.arrayContaining(["/etc/ssh/sshd_config.d/10-shithub.conf", "/etc/systemd/system/shithub-metadata-guard.service"]));
    const monitoring = file("shithub-monitoring", "/etc/shithub-ops/ops.env")!;
    expect(monitoring).toMatch(/^PROMETHEUS_URL=http:\/\/[\d.]+:9090$/m);
    expect(monitoring).toContain("CURLRC=/etc/prometheus/shithub-query.curlrc");
    expect(file("shithub-app", "/etc/shithub-ops/ops.env")).not.toContain("PROMETHEUS_URL");
    expect(file("shithub-app", "/etc/shithub-ops/ops.env")).toMatch(/^DOMAIN=/m);
  });

  it("follows each release with an audit line; an offline plan names nobody, so two commits' plans differ in nothing for it", () => {
    const audit = plan.resources.find((r) => r.type === COMMAND && r.name === "shithub-app-audit")!;
    expect(audit.options?.dependsOn).toEqual(["shithub-app-release"]);
    const bundle = file("shithub-app", "/run/shithub-audit.bundle")!;
    expect(bundle).toContain("AUDIT_WHO='(offline plan)'\n");
    expect(bundle).toMatch(/^AUDIT_RELEASE=[0-9a-f]{12}$/m);
    expect(bundle).toMatch(/^AUDIT_VERSION=v\d+\.\d+\.\d+$/m);
  });
});

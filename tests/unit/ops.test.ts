import { auditBundle, parseAuditLog, releaseDigest, renderAudit } from "../../components/ops/audit";
import { auditField, deployIdentity } from "../../components/ops/deployIdentity";
import { parseDrift, renderDrift } from "../../components/ops/driftReport";
import { needsAPerson, parseHostStatus, renderHostStatus } from "../../components/ops/hostStatus";
import { formatJournalLine, readableMessage } from "../../components/ops/journal";
import { HostsError, knownHosts, parseHostsOutput, selectHosts } from "../../components/ops/opsHosts";
import { execCommand, logsCommand, maintenanceCommand } from "../../components/ops/remoteCommands";
import { parseCommand, UsageError } from "../../scripts/cli/command";
import { OPS_COMMAND } from "../../scripts/ops";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake";
const HOSTS = JSON.stringify({
  "shithub-app": { roles: ["app"], publicIpv4: "203.0.113.10", privateIpv4: "10.0.0.2", hostKey: `${KEY} comment` },
  "shithub-db": { roles: ["db"], publicIpv4: "203.0.113.11", privateIpv4: "10.0.0.3", hostKey: KEY },
});

describe("npm run ops: the hosts it reaches", () => {
  it("reads the hosts output with each pinned key, and writes known_hosts of exactly those", () => {
    const hosts = parseHostsOutput("production", HOSTS);
    expect(hosts.map((h) => [h.name, h.address, h.roles])).toEqual([["shithub-app", "203.0.113.10", ["app"]], ["shithub-db", "203.0.113.11", ["db"]]]);
    expect(knownHosts(hosts)).toBe(`203.0.113.10 ${KEY}\n203.0.113.11 ${KEY}\n`);
  });

  it("refuses a stack whose output has no host key for a host, with the up that exports them", () => {
    const old = JSON.stringify({ "shithub-app": { roles: ["app"], publicIpv4: "203.0.113.10" } });
    expect(() => parseHostsOutput("production", old)).toThrow(new HostsError(
      "stack production: no pinned host key for shithub-app in the hosts output: the stack was last updated before it exported them. Fix: pulumi up -s production (it changes no host), then run this again"));
    expect(() => parseHostsOutput("production", "not json")).toThrow(HostsError);
    expect(() => parseHostsOutput("production", "{}")).toThrow(/names no host/);
  });

  it("picks --host, or the hosts with a role, and refuses an unknown host or one without the role", () => {
    const hosts = parseHostsOutput("production", HOSTS);
    expect(selectHosts(hosts, undefined).map((h) => h.name)).toEqual(["shithub-app", "shithub-db"]);
    expect(selectHosts(hosts, undefined, ["app"]).map((h) => h.name)).toEqual(["shithub-app"]);
    expect(() => selectHosts(hosts, "shithub-web")).toThrow("--host shithub-web: no such host (known: shithub-app, shithub-db)");
    expect(() => selectHosts(hosts, "shithub-db", ["app"])).toThrow("--host shithub-db has roles db; this needs a host with app");
  });
});

describe("npm run ops: the command line", () => {
  it("passes what follows -- to exec, and takes one word after maintenance", () => {
    expect(parseCommand(OPS_COMMAND, ["exec", "--stack", "s", "--", "admin", "--user", "x y"])).toMatchObject({ verb: "exec", passed: ["admin", "--user", "x y"] });
    expect(parseCommand(OPS_COMMAND, ["maintenance", "on", "--stack", "s", "--message", "back at 5"])).toMatchObject({ verb: "maintenance", words: ["on"], values: { message: "back at 5" } });
    expect(() => parseCommand(OPS_COMMAND, ["status", "on", "--stack", "s"])).toThrow(new UsageError("unexpected argument 'on'"));
    expect(() => parseCommand(OPS_COMMAND, ["drift", "--stack", "s", "--", "x"])).toThrow(new UsageError("drift takes nothing after --"));
    // A relative time starts with a dash: it goes with `=` (the runbook's form).
    expect(parseCommand(OPS_COMMAND, ["logs", "--stack", "s", "--since=-10min"])).toMatchObject({ values: { since: "-10min" } });
    expect(() => parseCommand(OPS_COMMAND, ["logs", "--stack", "s", "--since", "-10min"])).toThrow(UsageError);
  });

  it("quotes every operator-given word for the remote shell", () => {
    expect(execCommand(["admin", "user", "rename", "a b", "$(id)"], false)).toBe("shithub-exec -- admin user rename 'a b' '$(id)'");
    expect(execCommand(["admin"], true)).toBe("shithub-exec -i -- admin");
    expect(maintenanceCommand("on", "it's `late`")).toBe("shithub-maintenance on 'it'\\''s `late`'");
    expect(maintenanceCommand("off", "ignored")).toBe("shithub-maintenance off");
    expect(logsCommand(["shithub*"], { since: "-1h" }, true)).toBe(
      "journalctl --no-pager --output=json --output-fields=MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,__REALTIME_TIMESTAMP --since=-1h --unit 'shithub*' --follow");
    expect(logsCommand(["shithubd-web.service"], { lines: 50 }, false)).toBe(
      "journalctl --no-pager --output=json --output-fields=MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,__REALTIME_TIMESTAMP --lines=50 --unit shithubd-web.service");
  });
});

describe("npm run ops -- status: a host's facts, judged", () => {
  const NOW = 1_800_000_000;
  const lines = (...l: string[]) => [`host\tshithub-app\tapp`, `now\t${NOW}`, ...l].join("\n");
  const healthy = [
    "version\tv1.3.0\t2027-01-15T08:00:00Z",
    "unit\tshithubd-web.service\tactive\trunning",
    "unit\tshithubd-worker.service\tactive\trunning",
    "unit\tshithub-backup-heartbeat.timer\tactive\twaiting",
    "maintenance\toff",
    `backup\tdump\t${NOW - 3600}`,
    `backup\trepos\t${NOW - 7200}`,
    `cert\tshithub.example\t${NOW + 60 * 86400}`,
    "drift\t0\t0\t0",
  ];

  it("a healthy app host needs nobody", () => {
    const s = parseHostStatus("shithub-app", lines(...healthy));
    expect(needsAPerson(s)).toEqual([]);
    expect(s.release).toEqual({ version: "v1.3.0", since: "2027-01-15T08:00:00Z" });
    expect(renderHostStatus(s)).toBe([
      "shithub-app (app)",
      "  shithubd v1.3.0 since 2027-01-15T08:00:00Z",
      "  units: shithubd-web running, shithubd-worker running, shithub-backup-heartbeat.timer waiting",
      "  maintenance: off",
      "  newest backups: dump 60 min ago, repos 2 h ago",
      `  certificate shithub.example: expires ${new Date((NOW + 60 * 86400) * 1000).toISOString()} (in 60 days)`,
      "  drift: 0 changed, 0 missing, 0 extra",
      "  ok",
      "",
    ].join("\n"));
  });

  it("names each thing that needs a person: a failed unit, a stopped worker, maintenance, an old dump, a certificate near its end, drift, firing alerts", () => {
    const s = parseHostStatus("shithub-app", lines(
      "unit\tshithubd-web.service\tactive\trunning",
      "unit\tshithubd-worker.service\tinactive\tdead",
      "unit\tshithub-repos-backup.service\tfailed\tfailed",
      "maintenance\ton\t2027-01-15T09:00:00Z\tback at 10",
      `backup\tdump\t${NOW - 27 * 3600}`,
      `cert\tshithub.example\t${NOW + 3 * 86400}`,
      "drift\t1\t1\t0",
      `alerts\t${JSON.stringify({ status: "success", data: { alerts: [{ state: "firing", labels: { alertname: "ConfigDrift", host: "shithub-app", severity: "ticket" } }, { state: "pending", labels: { alertname: "DiskFilling" } }] } })}`,
    ));
    expect(needsAPerson(s)).toEqual([
      "unit shithub-repos-backup.service failed (npm run ops -- logs --host shithub-app --unit shithub-repos-backup.service)",
      "shithubd-worker.service is inactive",
      "maintenance is on since 2027-01-15T09:00:00Z: writes and pushes are refused (npm run ops -- maintenance off)",
      "the newest dump backup is 27 h old",
      "the certificate for shithub.example expires in 3 days",
      "drift: 1 changed, 1 missing, 0 extra (npm run ops -- drift --host shithub-app)",
      "alert ConfigDrift firing for shithub-app (ticket)",
    ]);
  });

  it("an unanswered Prometheus or an unrecorded host is a person's too", () => {
    expect(needsAPerson(parseHostStatus("m", "host\tm\tmonitoring\nnow\t1\nalerts\tunreachable\ndrift\tunrecorded\n"))).toEqual([
      "no step has recorded its files here: drift cannot be checked (pulumi up)",
      "Prometheus did not answer: alerts unknown",
    ]);
  });
});

describe("npm run ops -- logs: the journal, readable", () => {
  it("prints shithubd's JSON lines as level, message and fields, with the entry's time, host and unit", () => {
    const entry = { __REALTIME_TIMESTAMP: "1800000000123456", _SYSTEMD_UNIT: "shithubd-web.service", MESSAGE: JSON.stringify({ time: "x", level: "error", msg: "push failed", repo: "alice/hello", "took ms": 12, err: "exit status 1" }) };
    expect(formatJournalLine("shithub-app", JSON.stringify(entry))).toBe(
      "2027-01-15T08:00:00Z shithub-app shithubd-web: ERROR push failed repo=alice/hello took ms=12 err=\"exit status 1\"");
  });

  it("leaves other messages as they are, and reads a message journald kept as bytes", () => {
    expect(readableMessage("time=1 level=INFO msg=hi")).toBe("time=1 level=INFO msg=hi");
    expect(readableMessage("{not json")).toBe("{not json");
    expect(readableMessage('{"a":1}')).toBe('{"a":1}');
    const bytes = { __REALTIME_TIMESTAMP: "1800000000000000", SYSLOG_IDENTIFIER: "caddy", MESSAGE: [104, 105] };
    expect(formatJournalLine("h", JSON.stringify(bytes))).toBe("2027-01-15T08:00:00Z h caddy: hi");
    expect(formatJournalLine("h", "")).toBeUndefined();
    // PID 1's lines about the unit, as journalctl -u includes them.
    const pid1 = { __REALTIME_TIMESTAMP: "1800000000000000", _SYSTEMD_UNIT: "init.scope", SYSLOG_IDENTIFIER: "systemd", MESSAGE: "Started shithubd-web.service - shithub web server." };
    expect(formatJournalLine("h", JSON.stringify(pid1))).toBe("2027-01-15T08:00:00Z h systemd: Started shithubd-web.service - shithub web server.");
  });
});

describe("npm run ops -- drift and audit: the hosts' records", () => {
  it("reads shithub-drift's findings and says what puts each back", () => {
    const d = parseDrift("shithub-app", "changed\t/etc/ssh/sshd_config.d/20-shithub-git.conf\tshithub-git-ssh-setup\nmissing\t/etc/systemd/system/shithubd-cron.timer\tshithub-release\nextra\t/usr/local/bin/shithub-mine\t-\nchecked\t40\t9\n");
    expect(d.findings.map((f) => f.kind)).toEqual(["changed", "missing", "extra"]);
    expect(renderDrift(d)).toBe([
      "shithub-app: 3 differences (40 files of 9 steps compared)",
      "  changed /etc/ssh/sshd_config.d/20-shithub-git.conf  (installed by git-ssh-setup: pulumi up puts it back when that step next runs; keep the edit only through the program)",
      "  missing /etc/systemd/system/shithubd-cron.timer  (installed by release: pulumi up puts it back when that step next runs; keep the edit only through the program)",
      "  extra   /usr/local/bin/shithub-mine  (no step installed it: remove it, or make it the program's)",
      "",
    ].join("\n"));
    expect(renderDrift(parseDrift("h", "checked\t10\t3\n"))).toBe("h: no drift (10 files of 3 steps compared)\n");
    expect(renderDrift(parseDrift("h", ""))).toBe("h: the check did not finish\n");
  });

  it("lists every host's audit lines oldest first, skipping a line cut short", () => {
    const a = parseAuditLog("shithub-app", "2027-01-15T08:00:00Z\tv1.3.0\tabc123abc123abc123\tdeployer (GitHub Actions run 7)\t0123456789ab\n2027-01-15T09:00:00Z\tv1.3");
    const b = parseAuditLog("shithub-app-2", "2027-01-14T08:00:00Z\tv1.2.0\tdef\tAnn <ann@example.com>\tba9876543210\n");
    expect(renderAudit([...a, ...b])).toBe([
      "WHEN (UTC)            HOST           VERSION  COMMIT        RELEASE       WHO",
      "2027-01-14T08:00:00Z  shithub-app-2  v1.2.0   def           ba9876543210  Ann <ann@example.com>",
      "2027-01-15T08:00:00Z  shithub-app    v1.3.0   abc123abc123  0123456789ab  deployer (GitHub Actions run 7)",
      "",
    ].join("\n"));
    expect(renderAudit([])).toBe("no release recorded on any host yet\n");
  });

  it("the audit bundle carries who, the commit, the version and which release bundle, and nothing else", () => {
    const bundle = auditBundle("shithub-app", "v1.3.0", { who: "Ann <ann@example.com>", commit: "abc" }, releaseDigest("the release"));
    expect(bundle).toContain("AUDIT_WHO='Ann <ann@example.com>'\n");
    expect(bundle).toContain("AUDIT_COMMIT=abc\n");
    expect(bundle).toContain(`AUDIT_RELEASE=${releaseDigest("the release")}\n`);
    expect(releaseDigest("the release")).toMatch(/^[0-9a-f]{12}$/);
  });

  it("names the deployer: GitHub's actor and commit in CI, else the operator's git identity and HEAD (dirty when the tree is)", () => {
    const git = (answers: Record<string, string>) => (args: readonly string[]) => answers[args.join(" ")];
    expect(deployIdentity({ GITHUB_ACTIONS: "true", GITHUB_ACTOR: "octo", GITHUB_RUN_ID: "42", GITHUB_SHA: "f00" }, git({}))).toEqual({ who: "octo (GitHub Actions run 42)", commit: "f00" });
    expect(deployIdentity({}, git({ "config user.name": "Ann", "config user.email": "ann@example.com", "rev-parse HEAD": "abc" }))).toEqual({ who: "Ann <ann@example.com>", commit: "abc" });
    expect(deployIdentity({}, git({ "config user.name": "Ann", "rev-parse HEAD": "abc", "status --porcelain --untracked-files=no": " M x" }))).toEqual({ who: "Ann", commit: "abc-dirty" });
    expect(deployIdentity({ SHITHUB_DEPLOYER: "ci-bot\tx", SHITHUB_DEPLOY_COMMIT: "c0ffee" }, git({}))).toEqual({ who: "ci-bot x", commit: "c0ffee" });
    expect(auditField("\n")).toBe("(unknown)");
  });
});

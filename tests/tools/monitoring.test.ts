import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { alertRulesInputs, renderAlertRules } from "../../components/monitoring/alertRules";
import { renderAlertmanagerConfig } from "../../components/roles/monitoring";
import { runOffline } from "../../offline/run";
import { loadStackFile } from "../../offline/stackFile";
import { configOf, FOUR_HOSTS, rawConfig, stagedFile } from "../helpers";
import { ROOT } from "../stack/stackCopy";

// The monitoring configs the program renders (Prometheus agents and server, alert rules,
// Alertmanager), checked and unit-tested by Debian's own promtool and amtool
// (tests/tools/prometheus.sh fetches the distribution's packages, unpacked, once).

const BIN = execFileSync(join(__dirname, "prometheus.sh"), { encoding: "utf8" }).trim();
const promtool = (...args: string[]) => spawnSync(join(BIN, "promtool"), args, { encoding: "utf8" });
const work = mkdtempSync(join(tmpdir(), "shithub-alerts-"));
const TEST_FILE = join(__dirname, "alerts", "shithub-alerts.test.yml");
/** The alerts whose windows are hours to days, evaluated hourly (its header says why). */
const DAYS_TEST_FILE = join(__dirname, "alerts", "shithub-backup-alerts.test.yml");
const DRIFT_TEST_FILE = join(__dirname, "alerts", "shithub-drift-alerts.test.yml");

const staging = configOf(rawConfig());
const production = configOf(rawConfig({
  stack: "production",
  set: { "shithubd:hosts": JSON.stringify(FOUR_HOSTS), "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587", "shithubd:SHITHUB_DB__MAX_CONNS": "20" },
}));

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RuleTest {
  name: string;
  input_series: Array<{ series: string }>;
  alert_rule_test?: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> }>;
}

function alertNames(rules: string): string[] {
  const doc = parse(rules) as { groups: Array<{ rules: Array<{ alert?: string }> }> };
  return [...new Set(doc.groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => a !== undefined)))];
}

describe("alert rules", () => {
  it.each([["staging", staging, 17], ["production", production, 26]] as const)("%s's rules pass promtool check rules", (stack, config, count) => {
    const file = join(work, `${stack}.yml`);
    writeFileSync(file, renderAlertRules(alertRulesInputs(config)));
    const r = promtool("check", "rules", file);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`SUCCESS: ${count} rules found`);
    expect(r.status).toBe(0);
  });

  it("the stack's own values reach the rules: its pool size and each of its hosts", () => {
    const rules = renderAlertRules(alertRulesInputs(production));
    expect(rules).toContain("expr: shithub_db_pool_acquired / 20 > 0.9");
    for (const host of FOUR_HOSTS) expect(rules).toContain(`absent_over_time(up{job="node", host="${host.name}"}[5m])`);
    expect(renderAlertRules(alertRulesInputs(staging))).toContain("expr: shithub_db_pool_acquired / 10 > 0.9");
  });

  it("every alert fires in promtool test rules, and is kept quiet by data that must not fire it", () => {
    const rules = renderAlertRules(alertRulesInputs(staging));
    writeFileSync(join(work, "shithub-alerts.yml"), rules);
    copyFileSync(TEST_FILE, join(work, "shithub-alerts.test.yml"));
    copyFileSync(DAYS_TEST_FILE, join(work, "shithub-backup-alerts.test.yml"));
    const r = spawnSync(join(BIN, "promtool"), ["test", "rules", "shithub-alerts.test.yml", "shithub-backup-alerts.test.yml"], { cwd: work, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`.match(/SUCCESS/g)).toHaveLength(2);
    expect(r.status).toBe(0);

    // A test fires an alert when it expects alerts; it keeps it quiet when it expects none at a
    // time, or feeds series (another host, another mount) that are missing from what fires.
    const tests = [TEST_FILE, DAYS_TEST_FILE].flatMap((f) => (parse(readFileSync(f, "utf8")) as { tests: RuleTest[] }).tests);
    for (const alert of alertNames(rules)) {
      const evals = tests.flatMap((t) => (t.alert_rule_test ?? []).filter((e) => e.alertname === alert).map((e) => ({ t, e })));
      expect({ alert, fires: evals.some(({ e }) => e.exp_alerts.length > 0) }).toEqual({ alert, fires: true });
      const quiet = evals.some(({ t, e }) => {
        if (e.exp_alerts.length === 0) return true;
        // The labels that tell one firing series from another: host, and mount or route where the alert has them.
        const keys = ["host", "mountpoint", "route"].filter((k) => e.exp_alerts.some((a) => k in a.exp_labels));
        const firing = new Set(e.exp_alerts.map((a) => keys.map((k) => a.exp_labels[k]).join("|")));
        return t.input_series.some((s) => {
          const labels = keys.map((k) => new RegExp(`${k}="([^"]+)"`).exec(s.series)?.[1]);
          return labels.every((l) => l !== undefined) && !firing.has(labels.join("|"));
        });
      });
      expect({ alert, quiet }).toEqual({ alert, quiet: true });
    }
  });

  it("production's drift alerts fire in promtool test rules and are kept quiet by a clean or checked host; staging has none", () => {
    const rules = renderAlertRules(alertRulesInputs(production));
    expect(alertNames(rules)).toEqual(expect.arrayContaining(["ConfigDrift", "DriftUnchecked"]));
    expect(alertNames(renderAlertRules(alertRulesInputs(staging)))).not.toContain("ConfigDrift");
    expect(alertNames(renderAlertRules(alertRulesInputs(staging)))).not.toContain("DriftUnchecked");
    const dir = mkdtempSync(join(work, "drift-"));
    writeFileSync(join(dir, "shithub-alerts.yml"), rules);
    copyFileSync(DRIFT_TEST_FILE, join(dir, "shithub-drift-alerts.test.yml"));
    const r = spawnSync(join(BIN, "promtool"), ["test", "rules", "shithub-drift-alerts.test.yml"], { cwd: dir, encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
    expect(r.status).toBe(0);
    // The same cases against rules that never fire: promtool's verdict is not taken on trust.
    writeFileSync(join(dir, "shithub-alerts.yml"), rules.replace("sum by (env, host) (shithub_drift_files) > 0", "sum by (env, host) (shithub_drift_files) > 5"));
    const broken = spawnSync(join(BIN, "promtool"), ["test", "rules", "shithub-drift-alerts.test.yml"], { cwd: dir, encoding: "utf8" });
    expect(broken.status).toBe(1);
    expect(broken.stdout + broken.stderr).toContain("alertname: ConfigDrift");
  });

  it("a rule broken on purpose fails its test: promtool's verdict is not taken on trust", () => {
    const rules = renderAlertRules(alertRulesInputs(staging)).replace("> 26 * 3600", "> 30 * 3600");
    writeFileSync(join(work, "shithub-alerts.yml"), rules);
    copyFileSync(DAYS_TEST_FILE, join(work, "shithub-backup-alerts.test.yml"));
    const r = spawnSync(join(BIN, "promtool"), ["test", "rules", "shithub-backup-alerts.test.yml"], { cwd: work, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain("alertname: BackupOverdue");
  });
});

describe("Prometheus and Alertmanager configs", () => {
  it.each(["staging", "production"])("every host's Prometheus config of %s passes promtool check config, as an agent or the server", async (stack) => {
    const plan = await runOffline(loadStackFile(ROOT, stack));
    if (!plan.ok) throw new Error(plan.message);
    const rules = join(work, `${stack}-rules.yml`);
    writeFileSync(rules, renderAlertRules(alertRulesInputs(stack === "staging" ? staging : production)));
    const configs = plan.files.filter((f) => f.path === "/etc/prometheus/shithub.yml");
    expect(configs.length).toBe(stack === "staging" ? 1 : 4);
    for (const config of configs) {
      const dropIn = plan.files.find((f) => f.host === config.host && f.path === "/etc/systemd/system/prometheus.service.d/shithub.conf")!.content;
      const agent = dropIn.includes("--enable-feature=agent");
      expect([config.host, agent]).toEqual([config.host, !(stack === "staging" || config.host === "shithub-monitoring")]);
      const file = join(work, `${stack}-${config.host}.yml`);
      writeFileSync(file, config.content.replace("/etc/prometheus/shithub-alerts.yml", rules));
      const r = promtool("check", "config", ...(agent ? ["--agent"] : []), file);
      expect({ host: config.host, out: r.stdout + r.stderr, status: r.status }).toEqual({ host: config.host, out: expect.stringContaining("SUCCESS"), status: 0 });
    }
  });

  it("the monitoring host's Prometheus, with its web config, refuses a push or a query without the login and takes the agents' password", async () => {
    const plan = await runOffline(loadStackFile(ROOT, "production"));
    if (!plan.ok) throw new Error(plan.message);
    const bundle = (host: string, step: string) => plan.files.find((f) => f.host === host && f.path === `/run/shithub-${step}.bundle`)!.content;
    const webConfig = join(work, "web.yml");
    writeFileSync(webConfig, stagedFile(bundle("shithub-monitoring", "monitoring-setup"), "shithub-web.yml")!);
    const password = stagedFile(bundle("shithub-app", "metrics-setup"), "shithub-push.password")!;
    const check = promtool("check", "web-config", webConfig);
    expect({ out: check.stdout + check.stderr, status: check.status }).toEqual({ out: expect.stringContaining("SUCCESS"), status: 0 });
    writeFileSync(join(work, "server.yml"), "global:\n  scrape_interval: 15s\n");
    const address = "127.0.0.1:19391";
    const server = spawn(join(BIN, "prometheus"), [`--config.file=${join(work, "server.yml")}`, `--storage.tsdb.path=${join(work, "web-data")}`,
      `--web.listen-address=${address}`, `--web.config.file=${webConfig}`, "--web.enable-remote-write-receiver"], { stdio: "ignore" });
    try {
      // curl -K reads a config from stdin: root's rendered curlrc (as the canary's --via uses it), or an agent's login.
      const status = (path: string, curlrc?: string, method = "GET") => {
        const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, ...(curlrc === undefined ? [] : ["-K", "-"]), `http://${address}${path}`],
          { encoding: "utf8", input: curlrc ?? "" });
        return r.stdout;
      };
      const rootsCurlrc = stagedFile(bundle("shithub-monitoring", "monitoring-setup"), "shithub-query.curlrc")!;
      const agentLogin = (pw: string) => `user = "shithub:${pw}"\n`;
      // Prometheus opens its TSDB before it answers: up to a minute on a loaded 2-core machine.
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && status("/-/ready", rootsCurlrc) !== "200";) await new Promise((r) => setTimeout(r, 200));
      expect([
        status("/api/v1/query?query=up"), status("/api/v1/query?query=up", agentLogin(`${password}x`)), status("/api/v1/query?query=up", rootsCurlrc),
        status("/api/v1/write", undefined, "POST"), status("/api/v1/write", agentLogin(password), "POST"),
      ]).toEqual(["401", "401", "200", "401", "400"]); // 400: an empty push, past the login
    } finally {
      server.kill();
    }
  }, 120_000);

  it("Alertmanager's config passes amtool check-config, with and without an SMTP login", () => {
    const cases = [
      { stack: "production", alertEmails: ["ops@shithub.sh", "oncall@shithub.sh"], smtp: { smarthost: "smtp.postmarkapp.com:587", from: "shithub <noreply@shithub.sh>", username: "token-1", password: "token-1" } },
      { stack: "staging", alertEmails: ["ops@shithub.sh"], smtp: { smarthost: "mail.example.org:25", from: "alerts@example.org" } },
      { stack: "staging", alertEmails: ["ops@shithub.sh"] },
    ];
    for (const [i, inputs] of cases.entries()) {
      const file = join(work, `alertmanager-${i}.yml`);
      writeFileSync(file, renderAlertmanagerConfig(inputs));
      const r = spawnSync(join(BIN, "amtool"), ["check-config", file], { encoding: "utf8" });
      expect({ i, out: r.stdout + r.stderr, status: r.status }).toEqual({ i, out: expect.stringContaining("SUCCESS"), status: 0 });
    }
  });
});

describe("shithub-node-metrics' drill and identity-proof families", () => {
  it("are what the alerts read, in the text format promtool accepts: a failure newer than the success is a failed last run", () => {
    const dir = mkdtempSync(join(work, "node-metrics-"));
    const at = (path: string, value: number) => {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), `${value}\n`);
    };
    at("drill/dump/scheduled", 1000);
    at("drill/dump/last-success", 2000);
    at("drill/dump/last-failure", 3000);
    at("drill/repos/scheduled", 1000);
    at("drill/repos/last-failure", 1500);
    at("drill/repos/last-success", 2500);
    at("drill/new/scheduled", 4000);
    const recipient = `age1${"q".repeat(58)}`;
    at(`canary/proofs/${recipient}`, 5000);
    at("canary/proofs/not-a-recipient", 6000);
    at("canary/since", 900);
    mkdirSync(join(dir, "tf"));
    mkdirSync(join(dir, "state"));
    const r = spawnSync("bash", [join(ROOT, "templates", "scripts", "shithub-node-metrics.sh")], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, TEXTFILE_DIR: join(dir, "tf"), STATE_DIR: join(dir, "state"), DRILL_DIR: join(dir, "drill"), CANARY_DIR: join(dir, "canary") },
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    const text = readFileSync(join(dir, "tf", "shithub.prom"), "utf8");
    const samples = text.split("\n").filter((l) => /^shithub_(drill|backup)_/.test(l));
    expect(samples).toEqual([
      'shithub_drill_last_success_seconds{drill="dump"} 2000',
      'shithub_drill_last_success_seconds{drill="repos"} 2500',
      'shithub_drill_last_run_failed{drill="dump"} 1',
      'shithub_drill_last_run_failed{drill="repos"} 0',
      'shithub_drill_scheduled_seconds{drill="dump"} 1000',
      'shithub_drill_scheduled_seconds{drill="new"} 4000',
      'shithub_drill_scheduled_seconds{drill="repos"} 1000',
      `shithub_backup_identity_proof_seconds{recipient="${recipient}"} 5000`,
      "shithub_backup_canary_since_seconds 900",
    ]);
    const check = spawnSync(join(BIN, "promtool"), ["check", "metrics"], { input: text, encoding: "utf8" });
    expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, output: "" });
  });
});

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { PlannedFile } from "../../offline/run";
import { runOffline } from "../../offline/run";
import { loadStackFile } from "../../offline/stackFile";
import { stagedFile } from "../helpers";
import { stackCopy } from "../stack/stackCopy";
import { findAll, freePort } from "./toolHelpers";
import type { Json } from "./toolHelpers";

// Security review family 9: a stack value that reaches a config language is read back by that
// language's own program exactly as the stack file holds it, or the plan refuses it naming the
// key. The committed production stack file, one value changed, planned offline; the rendered
// files then go to Caddy (`caddy adapt`), Alertmanager (its running config, as Go's YAML reader
// read it) and promtool. Characters that each of these languages reads specially: line breaks
// of every kind (YAML 1.1 folds U+0085 and U+2028), comment and placeholder marks, quotes,
// spaces, systemd's % specifiers, backslashes and bidirectional controls.

const HOSTILE = ["\u2028", "\u0085", "\n", "\t", " ", "#", "{x}", "{$HOME}", "}", "\"", "'", "\\", "%n", "$", "\u202e"];

const BIN = execFileSync(join(__dirname, "prometheus.sh"), { encoding: "utf8" }).trim();
const work = mkdtempSync(join(tmpdir(), "shithub-languages-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Verdict = { refused: string } | { files: PlannedFile[] };

async function planWith(key: string, value: string | string[], secret = false, drop: string[] = []): Promise<Verdict> {
  const dir = stackCopy("production", (c) => {
    if (!secret) c[key] = value;
    for (const k of drop) delete c[k];
  });
  // The SMTP login is set with --secret (not in the file): Alertmanager's config needs it known.
  const secretValues = { "shithubd:alertSmtpUsername": "u", "shithubd:alertSmtpPassword": "p", ...(secret ? { [key]: String(value) } : {}) };
  const result = await runOffline(loadStackFile(dir, "production"), { secretValues });
  rmSync(dir, { recursive: true, force: true });
  return result.ok ? { files: result.files } : { refused: result.message };
}

function fileOf(files: PlannedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (f === undefined) throw new Error(`no ${path} in the plan`);
  return f.content;
}


/** What Caddy runs for a Caddyfile: `caddy adapt`, which also substitutes {$ENV} as `caddy run` would. */
function caddyJson(caddyfile: string): Json {
  const file = join(work, "Caddyfile");
  writeFileSync(file, caddyfile);
  const home = join(work, "caddy-home");
  const run = spawnSync("/usr/bin/caddy", ["adapt", "--adapter", "caddyfile", "--config", file], {
    encoding: "utf8", env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config") },
  });
  if (run.status !== 0) throw new Error(`caddy adapt refused the rendered Caddyfile:\n${run.stderr}`);
  return JSON.parse(run.stdout) as Json;
}

function acmeIssuers(caddyfile: string): Array<{ email?: string; ca?: string }> {
  return findAll(caddyJson(caddyfile), (n) => n.module === "acme") as Array<{ email?: string; ca?: string }>;
}


/**
 * YAML as Go's writer (YAML 1.1) writes it, read as Go reads it: 1.1 keeps U+2028 and U+2029 as
 * content and drops the indentation the writer puts after them; the yaml package (1.2) would keep
 * that indentation, so it is dropped before parsing.
 */
function fromGoYaml(text: string): Json {
  return parse(text.replace(/([\u2028\u2029])[ ]+/g, "$1")) as Json;
}

/** Alertmanager's config as the running Alertmanager read it (its API re-marshals what Go's YAML reader made of the file). */
async function alertmanagerConfig(text: string): Promise<Json> {
  const dir = mkdtempSync(join(work, "am-"));
  const file = join(dir, "alertmanager.yml");
  writeFileSync(file, text);
  const port = await freePort();
  // Debian's Alertmanager reads its default templates from /usr/share/prometheus, which the
  // unpacked package holds elsewhere: a mount namespace of its own shows them there.
  const shown = "mount --make-rprivate / && mount -t tmpfs none /usr/share && mkdir /usr/share/prometheus && mount --bind \"$0\" /usr/share/prometheus && exec \"$@\"";
  const am = spawn("unshare", ["-m", "sh", "-c", shown, join(BIN, "..", "share", "prometheus"), join(BIN, "prometheus-alertmanager"),
    `--config.file=${file}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  am.stderr.on("data", (d: Buffer) => (log += d.toString()));
  try {
    for (let i = 0; i < 300; i++) {
      if (am.exitCode !== null) throw new Error(`Alertmanager refused the rendered config:\n${log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v2/status`);
        if (res.ok) return fromGoYaml(((await res.json()) as { config: { original: string } }).config.original);
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Alertmanager did not answer:\n${log}`);
  } finally {
    am.kill();
  }
}

interface Consumer {
  readonly key: string;
  readonly make: (hostile: string) => string | string[];
  readonly secret?: boolean;
  readonly drop?: string[];
  /** The value as the consumer read it back from the planned files. */
  readonly readBack: (files: PlannedFile[]) => Promise<string[]>;
}

/** Alertmanager's config travels only inside the monitoring role's (secret) setup bundle. */
function alertmanagerFile(files: PlannedFile[]): string {
  const text = stagedFile(fileOf(files, "/run/shithub-monitoring-setup.bundle"), "alertmanager.yml");
  if (text === undefined) throw new Error("no alertmanager.yml in the monitoring setup bundle");
  return text;
}

const caddyEmails = async (files: PlannedFile[]) => acmeIssuers(fileOf(files, "/etc/caddy/Caddyfile")).map((i) => i.email ?? "");

const CONSUMERS: readonly Consumer[] = [
  { key: "shithubd:acmeEmail", make: (h) => `ops${h}x@shithub.sh`, readBack: caddyEmails },
  { key: "shithubd:alertEmails", make: (h) => [`ops${h}x@shithub.sh`], readBack: caddyEmails },
  {
    key: "shithubd:alertEmails", make: (h) => [`ops${h}x@shithub.sh`],
    readBack: async (files) => ((await alertmanagerConfig(alertmanagerFile(files))).receivers as Json[]).flatMap((r) => (r.email_configs ?? []).map((e: Json) => String(e.to))),
  },
  {
    key: "shithubd:acmeCaUrl", make: (h) => `https://ca.example.org/dir${h}x`,
    readBack: async (files) => acmeIssuers(fileOf(files, "/etc/caddy/Caddyfile")).map((i) => i.ca ?? ""),
  },
  { key: "shithubd:alertSmtpFrom", make: (h) => `al${h}x@shithub.sh`, readBack: async (files) => [String((await alertmanagerConfig(alertmanagerFile(files))).global.smtp_from)] },
  {
    key: "shithubd:SHITHUB_AUTH__EMAIL_FROM", make: (h) => `shithub${h}x <noreply@shithub.sh>`, drop: ["shithubd:alertSmtpFrom"],
    readBack: async (files) => [String((await alertmanagerConfig(alertmanagerFile(files))).global.smtp_from)],
  },
  {
    key: "shithubd:alertSmtpUsername", make: (h) => `user${h}x`, secret: true,
    readBack: async (files) => [String((await alertmanagerConfig(alertmanagerFile(files))).global.smtp_auth_username)],
  },
  {
    key: "shithubd:SHITHUB_WEB__ADDR", make: (h) => `127.0.0.1${h}:8080`,
    readBack: async (files) => findAll(caddyJson(fileOf(files, "/etc/caddy/Caddyfile")), (n) => n.handler === "reverse_proxy").flatMap((p) => p.upstreams.map((u: Json) => String(u.dial))),
  },
];

/** A character as a test name can show it. */
const shown = (h: string): string => (/^[\x21-\x7e]+$/.test(h) ? h : [...h].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" "));
const CASES = CONSUMERS.flatMap((c) => HOSTILE.map((h) => [c.key, shown(h), c, h] as const));

describe("stack values in the config languages they reach (security review family 9)", () => {
  it.each(CASES)("%s with %s in it: refused naming the key, or read back unchanged", async (key, _shown, consumer, hostile) => {
    const value = consumer.make(hostile);
    const verdict = await planWith(key, value, consumer.secret, consumer.drop);
    if ("refused" in verdict) {
      expect(verdict.refused).toContain(`${key}${Array.isArray(value) ? "[0]" : ""}:`);
      return;
    }
    const expected = Array.isArray(value) ? value[0]! : value;
    const read = await consumer.readBack(verdict.files);
    expect(read).toContain(expected);
    // Caddy replaces {…} placeholders when it runs: a value read back with one is not the value.
    expect(read.filter((r) => /\{[^}]*\}/.test(r) && r === expected && consumer.key !== "shithubd:alertSmtpUsername")).toEqual([]);
  }, 60_000);

  it.each([
    ["shithubd:acmeEmail", "ops+alerts_2.x-y@mail.shithub.sh"],
    ["shithubd:SHITHUB_AUTH__EMAIL_FROM", "O'Brien-ops 2 <noreply@shithub.sh>"],
    ["shithubd:alertSmtpUsername", "tok#{en}' \u2028\u0085%n$x"],
    ["shithubd:SHITHUB_WEB__ADDR", "[::1]:8080"],
  ])("%s %j, valid, is accepted and read back unchanged", async (key, value) => {
    const consumer = CONSUMERS.find((c) => c.key === key)!;
    const verdict = await planWith(key, value, consumer.secret, consumer.drop);
    if ("refused" in verdict) throw new Error(`refused a valid value:\n${verdict.refused}`);
    expect(await consumer.readBack(verdict.files)).toContain(value);
  }, 60_000);

  it("the Prometheus configs of a stack with an IPv6 loopback web address pass promtool", async () => {
    const verdict = await planWith("shithubd:SHITHUB_WEB__ADDR", "[::1]:8080");
    if ("refused" in verdict) throw new Error(verdict.refused);
    const config = verdict.files.find((f) => f.path === "/etc/prometheus/shithub.yml")!;
    const file = join(work, "prometheus.yml");
    writeFileSync(file, config.content);
    const r = spawnSync(join(BIN, "promtool"), ["check", "config", "--agent", file], { encoding: "utf8" });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining("SUCCESS") });
    const targets = findAll(parse(config.content), (n) => Array.isArray(n.targets)).flatMap((n) => n.targets as string[]);
    expect(targets).toContain("[::1]:8080");
  });
});

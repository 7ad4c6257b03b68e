import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quoteForSystemd, renderEnvFile } from "../../components/env/envFile";
import type { EnvValue } from "../../components/env/envValues";
import { resolveDeferred } from "../../components/env/envValues";
import { Sensitive } from "../../components/config/sensitive";
import { analyseTemplate } from "../../components/env/envTemplate";
import { sshEnvOf } from "../../components/env/sshEnv";
import { configOf, DATABASE_URL, rawConfig, realTemplates, SESSION_KEY } from "../helpers";

const HOSTILE = [
  "plain",
  "two words",
  `say "hi"`,
  "it's",
  "$HOME and ${PATH} and $(id) and `id`",
  "# not a comment",
  "back\\slash\\\\double and trailing\\",
  `&<>"'=`,
  "shithub <noreply@shithub.sh>",
  "a=b=c",
  "  leading and trailing spaces  ",
  "ünïcødé ✓",
  "%h %n %i",
];

/** Reads a variable the way an env file is parsed by a POSIX shell: same rules as systemd inside double quotes. */
function readBack(content: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "envfile-"));
  const file = join(dir, "test.env");
  writeFileSync(file, content);
  return execFileSync("bash", ["--norc", "--noprofile", "-c", `set -a; . "$1"; printf '%s' "\${${name}}"`, "bash", file], {
    env: {},
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
}

describe("quoteForSystemd", () => {
  it("escapes exactly backslash, double quote, dollar and backtick", () => {
    expect(quoteForSystemd(`a\\b"c$d\`e`)).toBe(`"a\\\\b\\"c\\$d\\\`e"`);
    expect(quoteForSystemd(`&<>'=# `)).toBe(`"&<>'=# "`);
  });

  it.each(HOSTILE)("hands the process the exact string %j", (value) => {
    expect(readBack(`X=${quoteForSystemd(value)}\n`, "X")).toBe(value);
  });

  it.each(["line1\nline2", "cr\rhere", "nul\0byte"])("refuses %j", (value) => {
    expect(() => quoteForSystemd(value)).toThrow(/newline, carriage return or NUL/);
  });
});

describe("renderEnvFile", () => {
  const templates = realTemplates();

  it("writes hostile values through the real template without HTML escaping", () => {
    const config = configOf(rawConfig({ set: { "shithubd:SHITHUB_AUTH__SITE_NAME": `shithub & co <noreply@x.sh> "q" 'a'=b $HOME #` } }));
    const web = renderEnvFile(templates.web, config.env, config.version);
    expect(web.content).not.toMatch(/&amp;|&lt;|&gt;|&quot;|&#39;|&#x3D;/);
    expect(readBack(web.content, "SHITHUB_AUTH__SITE_NAME")).toBe(`shithub & co <noreply@x.sh> "q" 'a'=b $HOME #`);
    expect(readBack(web.content, "SHITHUB_SESSION_KEY")).toBe(SESSION_KEY);
  });

  it("writes web-only and worker-only values to their file only", () => {
    const config = configOf(rawConfig({ set: { "shithubd:SHITHUB_WORKERS": "8", "shithubd:SHITHUB_WEB__READ_TIMEOUT": "45s" } }));
    const web = renderEnvFile(templates.web, config.env, config.version);
    const worker = renderEnvFile(templates.worker, config.env, config.version);
    expect(web.names).toContain("SHITHUB_WEB__READ_TIMEOUT");
    expect(web.names).not.toContain("SHITHUB_WORKERS");
    expect(worker.names).toContain("SHITHUB_WORKERS");
    expect(worker.names).not.toContain("SHITHUB_WEB__READ_TIMEOUT");
    expect(worker.names).not.toContain("SHITHUB_SESSION_KEY");
    expect(readBack(worker.content, "SHITHUB_WORKERS")).toBe("8");
  });

  it("gives git over SSH web's settings and the database URL, not the session, TOTP, webhook or object storage keys", () => {
    const config = configOf(rawConfig({ set: { "shithubd:SHITHUB_WEB__READ_TIMEOUT": "45s" }, secret: { "shithubd:SHITHUB_WEBHOOK__AEAD_KEY": "k".repeat(44) } }));
    const web = renderEnvFile(templates.web, resolveDeferred(config.env, { s3AccessKey: "DO00KEY", s3SecretKey: "sec/ret", databaseUrl: DATABASE_URL }), config.version);
    const ssh = sshEnvOf(web.content);
    expect(readBack(ssh, "SHITHUB_DATABASE_URL")).toBe(DATABASE_URL);
    for (const name of ["SHITHUB_STORAGE__REPOS_ROOT", "SHITHUB_AUTH__SSH__HOST", "SHITHUB_ENV", "SHITHUB_WEB__READ_TIMEOUT", "SHITHUB_AUTH__BASE_URL"]) {
      expect(readBack(ssh, name)).toBe(readBack(web.content, name));
    }
    expect(web.content).toContain("SHITHUB_WEBHOOK__AEAD_KEY=");
    expect(web.content).toContain("sec/ret");
    // Object storage is all or nothing to shithubd's loader: none of it.
    expect(ssh).not.toMatch(/SESSION_KEY|TOTP_KEY|AEAD_KEY|STORAGE__S3__/);
    expect(ssh).not.toContain("sec/ret");
    expect(ssh).not.toContain(SESSION_KEY);
  });

  it("sets what the existing deployment got wrong: env and secure cookies", () => {
    const config = configOf(rawConfig({ stack: "production", set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587" } }));
    const web = renderEnvFile(templates.web, config.env, config.version);
    expect(readBack(web.content, "SHITHUB_ENV")).toBe("prod");
    expect(readBack(web.content, "SHITHUB_SESSION__SECURE")).toBe("true");
    expect(readBack(web.content, "SHITHUB_AUTH__BASE_URL")).toBe("https://staging.shithub.sh");
    expect(readBack(web.content, "SHITHUB_AUTH__SMTP__ADDR")).toBe("smtp.example.org:587");
  });

  it("points shithubd at the runtime bucket by default, and at the stack's own S3 settings when set", () => {
    const byDefault = configOf(rawConfig());
    const web = renderEnvFile(templates.web, resolveDeferred(byDefault.env, { s3AccessKey: "DO00KEY", s3SecretKey: "sec/ret", databaseUrl: DATABASE_URL }), byDefault.version);
    expect(readBack(web.content, "SHITHUB_STORAGE__S3__ENDPOINT")).toBe("nyc3.digitaloceanspaces.com");
    expect(readBack(web.content, "SHITHUB_STORAGE__S3__BUCKET")).toBe("shithub-staging-objects");
    expect(readBack(web.content, "SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY")).toBe("sec/ret");
    expect(web.secret).toBe(true);
    const withS3 = configOf(rawConfig({
      set: { "shithubd:SHITHUB_STORAGE__S3__ENDPOINT": "nyc3.digitaloceanspaces.com", "shithubd:SHITHUB_STORAGE__S3__BUCKET": "shithub-staging" },
      secret: { "shithubd:SHITHUB_STORAGE__S3__ACCESS_KEY_ID": "DO00EXAMPLE", "shithubd:SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY": "s3cr3t/+=" },
    }));
    const worker = renderEnvFile(templates.worker, withS3.env, withS3.version);
    expect(readBack(worker.content, "SHITHUB_STORAGE__S3__REGION")).toBe("us-east-1");
    expect(readBack(worker.content, "SHITHUB_STORAGE__S3__FORCE_PATH_STYLE")).toBe("false");
    expect(readBack(worker.content, "SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY")).toBe("s3cr3t/+=");
  });

  it("is secret exactly when a written value is secret", () => {
    const template = analyseTemplate("worker", "t", "A={{{SHITHUB_LOG__LEVEL}}}\n{{#SHITHUB_TOTP_KEY}}B={{{SHITHUB_TOTP_KEY}}}\n{{/SHITHUB_TOTP_KEY}}");
    const plain = new Map<string, EnvValue>([["SHITHUB_LOG__LEVEL", { value: "info", origin: "stack", placeholder: false }]]);
    expect(renderEnvFile(template, plain, "v1.8.0").secret).toBe(false);
    const withSecret = new Map(plain).set("SHITHUB_TOTP_KEY", { value: new Sensitive(SESSION_KEY), origin: "stack", placeholder: false });
    const rendered = renderEnvFile(template, withSecret, "v1.8.0");
    expect(rendered.secret).toBe(true);
    expect(rendered.content).toBe(`A="info"\nB="${SESSION_KEY}"\n`);
  });

  it("renders byte-identical output for the same input (no timestamps, stable order)", () => {
    const a = configOf(rawConfig({ set: { "shithubd:SHITHUB_LOG__LEVEL": "info", "shithubd:SHITHUB_DB__MAX_CONNS": "5" } }));
    const b = configOf(rawConfig({ set: { "shithubd:SHITHUB_DB__MAX_CONNS": "5", "shithubd:SHITHUB_LOG__LEVEL": "info" } }));
    expect(renderEnvFile(templates.web, a.env, a.version).content).toBe(renderEnvFile(templates.web, b.env, b.version).content);
  });
});

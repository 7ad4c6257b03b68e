import { parseStackConfig } from "../../components/config/stackConfig";
import { ConfigError, formatProblems } from "../../components/config/problems";
import { readStackConfig } from "../../components/config/stackConfig";
import { analyseTemplate } from "../../components/env/envTemplate";
import { checkEnv } from "../../components/env/envRules";
import { CATALOGUE } from "../../components/config/catalogue";
import { Sensitive } from "../../components/config/sensitive";
import { configOf, DATABASE_URL, problemsOf, rawConfig, realTemplates, SESSION_KEY, TOTP_KEY } from "../helpers";

/** The one problem of a config that must have exactly one. */
function onlyProblem(raw: ReturnType<typeof rawConfig>) {
  const problems = problemsOf(raw);
  expect(problems.map((p) => p.key)).toHaveLength(1);
  return problems[0]!;
}

describe("a valid stack config", () => {
  it("is typed, with defaults and derived values", () => {
    const config = configOf(rawConfig());
    expect(config).toMatchObject({ stack: "staging", version: "v1.8.0", domain: "staging.shithub.sh", region: "nyc3" });
    expect(config.env.get("SHITHUB_ENV")?.value).toBe("staging");
    expect(config.env.get("SHITHUB_WEB__ADDR")).toMatchObject({ value: "127.0.0.1:8080", origin: "default" });
    expect(config.env.get("SHITHUB_AUTH__SSH__HOST")).toMatchObject({ value: "git@staging.shithub.sh", origin: "derived" });
  });

  it("keeps secrets wrapped: printing the config never shows them", () => {
    const config = configOf(rawConfig());
    const printed = JSON.stringify([...config.env]) + String(config.env.get("SHITHUB_SESSION_KEY")?.value);
    for (const secret of [SESSION_KEY, TOTP_KEY, DATABASE_URL]) expect(printed).not.toContain(secret);
  });
});

describe("each kind of bad input is one clear problem naming stack, key and fix", () => {
  it("a missing required variable names the template and the set command", () => {
    const p = onlyProblem(rawConfig({ drop: ["shithubd:SHITHUB_AUTH__EMAIL_FROM"] }));
    expect(p).toMatchObject({ stack: "staging", key: "shithubd:SHITHUB_AUTH__EMAIL_FROM", kind: "missing" });
    expect(p.message).toBe("is required by templates/env/web.env.mustache but is not set");
    expect(p.fix).toBe("pulumi config set shithubd:SHITHUB_AUTH__EMAIL_FROM 'shithub <noreply@example.org>' -s staging");
  });

  it("a missing required secret is set with --secret and a generated key", () => {
    const p = onlyProblem(rawConfig({ drop: ["shithubd:SHITHUB_SESSION_KEY"] }));
    expect(p.fix).toBe("openssl rand -base64 32 | pulumi config set --secret shithubd:SHITHUB_SESSION_KEY -s staging");
  });

  it("a misnamed variable gets a did-you-mean and a rename command", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKNED": "postmark" } }));
    expect(p.key).toBe("shithubd:SHITHUB_AUTH__EMAIL_BACKNED");
    expect(p.message).toMatch(/silently ignored.*did you mean SHITHUB_AUTH__EMAIL_BACKEND\?/);
    expect(p.fix).toBe(
      `pulumi config set shithubd:SHITHUB_AUTH__EMAIL_BACKEND "$(pulumi config get shithubd:SHITHUB_AUTH__EMAIL_BACKNED -s staging)" -s staging && pulumi config rm shithubd:SHITHUB_AUTH__EMAIL_BACKNED -s staging`,
    );
  });

  it("a variable without the SHITHUB_ prefix is pointed at the prefixed name", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:LOG__LEVEL": "info" } }));
    expect(p.message).toMatch(/did you mean SHITHUB_LOG__LEVEL\?/);
  });

  it("a name nowhere near the catalogue is removed", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_FROBNICATE": "1" } }));
    expect(p.fix).toBe("pulumi config rm shithubd:SHITHUB_FROBNICATE -s staging");
  });

  it("a plaintext secret must be re-set with --secret, and the message does not echo it", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_SESSION_KEY": SESSION_KEY } }));
    expect(p.message).toMatch(/plaintext.*--secret/);
    expect(p.fix).toBe(
      "pulumi config get shithubd:SHITHUB_SESSION_KEY -s staging | pulumi config set --secret shithubd:SHITHUB_SESSION_KEY -s staging",
    );
    expect(JSON.stringify(p)).not.toContain(SESSION_KEY);
  });

  it.each([
    ["newline", "shithub\nEvil=1"],
    ["carriage return", "shithub\r"],
    ["NUL", "shithub\0"],
  ])("a %s in a value is refused", (_what, value) => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_AUTH__SITE_NAME": value } }));
    expect(p.key).toBe("shithubd:SHITHUB_AUTH__SITE_NAME");
    expect(p.message).toMatch(/newline, carriage return or NUL/);
  });

  it("a newline in a secret is refused without echoing the secret", () => {
    const p = onlyProblem(rawConfig({ secret: { "shithubd:SHITHUB_AUTH__SMTP__PASSWORD": "smtp-pass-w0rd\n" } }));
    expect(p.fix).toMatch(/^pulumi config set --secret shithubd:SHITHUB_AUTH__SMTP__PASSWORD/);
    expect(JSON.stringify(p)).not.toContain("smtp-pass-w0rd");
  });

  it.each([
    ["SHITHUB_SESSION__SECURE", "yes", /true or false/],
    ["SHITHUB_WORKERS", "0", /integer between 1 and 64/],
    ["SHITHUB_DB__MAX_CONNS", "ten", /integer >= 1/],
    ["SHITHUB_RATELIMIT__HTML__ANON_REFILL_PER_SEC", "-1", /integer >= 0/],
    // shithubd parses the refill rates with ParseInt: 0.5 would stop every process at start.
    ["SHITHUB_RATELIMIT__HTML__AUTHED_REFILL_PER_SEC", "0.5", /integer >= 0/],
    // uint32/uint8 fields: shithubd's loader has no case for them (`unsupported field kind`).
    ["SHITHUB_AUTH__ARGON2__MEMORY_KIB", "65536", /unsigned integer.*config\.toml/],
    ["SHITHUB_AUTH__ARGON2__THREADS", "2", /unsigned integer.*config\.toml/],
    ["SHITHUB_WEB__READ_TIMEOUT", "30", /Go duration/],
    ["SHITHUB_WEB__ADDR", "8080", /host:port/],
    ["SHITHUB_WEB__PPROF_ADDR", "0.0.0.0:6060", /loopback/],
    ["SHITHUB_WEB__PPROF_ADDR", "localhost:6060", /loopback/],
    ["SHITHUB_AUTH__EMAIL_BACKEND", "sendgrid", /one of stdout, smtp, postmark, resend/],
    ["SHITHUB_LOG__LEVEL", "verbose", /one of debug, info, warn, error/],
    ["SHITHUB_STORAGE__REPOS_ROOT", "data/repos", /absolute path/],
    ["SHITHUB_WEB__CORS_ALLOWED_ORIGINS", "https://a/path", /list of origins/],
    ["SHITHUB_WEB__TRUSTED_PROXIES", "127.0.0.0/8, 300.1.2.3/24", /list of networks.*1 item/],
    ["SHITHUB_WEB__TRUSTED_PROXIES", "10.0.0.0/33", /list of networks/],
  ])("%s=%j is refused (%s)", (name, value, reason) => {
    const p = onlyProblem(rawConfig({ set: { [`shithubd:${name}`]: value } }));
    expect(p.key).toBe(`shithubd:${name}`);
    expect(p.message).toMatch(reason);
    expect(p.fix).toMatch(new RegExp(`^pulumi config set shithubd:${name} \\S+ -s staging$`));
  });

  it.each([
    ["SHITHUB_WEB__TRUSTED_PROXIES", "10.0.0.0/8, 172.16.0.0/12 ,"],
    ["SHITHUB_WEB__TRUSTED_PROXIES", "10.0.0.7,2001:db8::1"],
    ["SHITHUB_WEB__CORS_ALLOWED_ORIGINS", "https://a.example,http://localhost:3000"],
  ])("%s=%j, a comma-separated slice as shithubd's loader reads it, is accepted", (name, value) => {
    expect(configOf(rawConfig({ set: { [`shithubd:${name}`]: value } })).env.get(name)?.value).toBe(value);
  });

  it.each([
    ["SHITHUB_SESSION_KEY", Buffer.alloc(16).toString("base64")],
    ["SHITHUB_TOTP_KEY", "not base64!"],
  ])("%s that is not base64 of 32 bytes is refused", (name, value) => {
    const p = onlyProblem(rawConfig({ secret: { [`shithubd:${name}`]: value } }));
    expect(p.message).toMatch(/base64 of exactly 32 bytes/);
    expect(p.fix).toBe(`openssl rand -base64 32 | pulumi config set --secret shithubd:${name} -s staging`);
  });

  it.each(["SHITHUB_DATABASE_URL", "SHITHUB_DB__URL"])("%s set by hand is refused: the program derives it from the topology", (name) => {
    const p = onlyProblem(rawConfig({ secret: { [`shithubd:${name}`]: DATABASE_URL } }));
    expect(p.message).toMatch(/^is derived from the topology/);
    expect(p.fix).toBe(`pulumi config rm shithubd:${name} -s staging`);
    expect(JSON.stringify(p)).not.toContain("db-pass-w0rd");
  });

  it("SHITHUB_AUTH__SSH__ENABLED follows shithubd:gitSsh and cannot be set by hand", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_AUTH__SSH__ENABLED": "true" } }));
    expect(p.message).toBe("is derived from shithubd:gitSsh (git over SSH is deployed, or not, by the program) and cannot be set");
    expect(configOf(rawConfig({ set: { "shithubd:gitSsh": "false" } })).env.get("SHITHUB_AUTH__SSH__ENABLED")?.value).toBe("false");
    expect(configOf(rawConfig()).env.get("SHITHUB_AUTH__SSH__ENABLED")?.value).toBe("true");
  });

  it("production refuses tls internal: no browser trusts Caddy's own CA", () => {
    const p = onlyProblem(rawConfig({ stack: "production", set: { "shithubd:tls": "internal", "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "resend" }, secret: { "shithubd:SHITHUB_AUTH__RESEND__API_KEY": "re_x" } }));
    expect([p.key, p.fix]).toEqual(["shithubd:tls", "pulumi config set shithubd:tls acme -s production"]);
  });

  it("an image the roles do not support is refused, naming the supported ones", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:image": "centos-9-x64" } }));
    expect(p.message).toMatch(/^must be an image the roles support: debian-12-x64 \(Debian 12, PostgreSQL 15\), ubuntu-24-04-x64 \(Ubuntu 24\.04, PostgreSQL 16, not booted by the tests\)/);
  });

  it("an empty value is refused", () => {
    expect(onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_LOG__LEVEL": "" } })).message).toMatch(/empty/);
  });

  it("a derived variable cannot be set by hand", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_AUTH__BASE_URL": "https://elsewhere.example" } }));
    expect(p.message).toBe("is derived from shithubd:domain and cannot be set");
    expect(p.fix).toBe("pulumi config rm shithubd:SHITHUB_AUTH__BASE_URL -s staging");
  });

  it.each([
    ["postmark", "SHITHUB_AUTH__POSTMARK__SERVER_TOKEN"],
    ["resend", "SHITHUB_AUTH__RESEND__API_KEY"],
    ["smtp", "SHITHUB_AUTH__SMTP__ADDR"],
  ])("email backend %s requires %s", (backend, needed) => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": backend } }));
    expect(p.key).toBe(`shithubd:${needed}`);
    expect(p.message).toBe(`is required because SHITHUB_AUTH__EMAIL_BACKEND is ${backend} but is not set`);
  });

  it("billing requires the Stripe secret, webhook secret and team price", () => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:SHITHUB_BILLING__ENABLED": "true" } }));
    expect(problems.map((p) => p.key)).toEqual([
      "shithubd:SHITHUB_BILLING__STRIPE__SECRET_KEY",
      "shithubd:SHITHUB_BILLING__STRIPE__WEBHOOK_SECRET",
      "shithubd:SHITHUB_BILLING__STRIPE__TEAM_PRICE_ID",
    ]);
    expect(problems[0]!.fix).toMatch(/(^|\| )pulumi config set --secret [^ ]+ -s \S+($|   # then the value at the prompt)/);
  });

  it("tracing requires an endpoint", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:SHITHUB_TRACING__ENABLED": "true" } }));
    expect(p.key).toBe("shithubd:SHITHUB_TRACING__ENDPOINT");
  });

  it("object storage is all or nothing", () => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:SHITHUB_STORAGE__S3__ENDPOINT": "nyc3.digitaloceanspaces.com" } }));
    expect(problems.map((p) => p.key).sort()).toEqual([
      "shithubd:SHITHUB_STORAGE__S3__ACCESS_KEY_ID",
      "shithubd:SHITHUB_STORAGE__S3__BUCKET",
      "shithubd:SHITHUB_STORAGE__S3__SECRET_ACCESS_KEY",
    ]);
  });

  it.each([
    ["SHITHUB_AUTH__EMAIL_BACKEND", "stdout", /journal/],
    ["SHITHUB_SESSION__SECURE", "false", /Secure/],
  ])("production refuses %s=%s", (name, value, reason) => {
    const mailing = { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587" };
    const p = onlyProblem(rawConfig({ stack: "production", set: { ...mailing, [`shithubd:${name}`]: value } }));
    expect(p.stack).toBe("production");
    expect(p.message).toMatch(reason);
  });

  it("an unknown project key gets a did-you-mean", () => {
    const p = onlyProblem(rawConfig({ set: { "shithubd:verison": "v1.9.0" } }));
    expect(p.message).toBe("is not a setting of this project; did you mean shithubd:version?");
  });

  it.each([
    ["shithubd:version", "1.8.0", /release tag/],
    ["shithubd:domain", "https://shithub.sh", /DNS name/],
    ["shithubd:region", "mars1", /DigitalOcean region/],
  ])("%s=%j is refused", (key, value, reason) => {
    const p = onlyProblem(rawConfig({ set: { [key]: value } }));
    expect(p.key).toBe(key);
    expect(p.message).toMatch(reason);
  });

  it("a missing version is required", () => {
    const p = onlyProblem(rawConfig({ drop: ["shithubd:version"] }));
    expect(p.fix).toBe("pulumi config set shithubd:version v1.8.0 -s staging");
  });

  it("a plaintext provider credential must be a secret", () => {
    const p = onlyProblem(rawConfig({ set: { "digitalocean:token": "dop_v1_abc" } }));
    expect(p.key).toBe("digitalocean:token");
    expect(p.fix).toBe("pulumi config get digitalocean:token -s staging | pulumi config set --secret digitalocean:token -s staging");
  });
});

describe("all problems at once", () => {
  it("reports every problem in one error, before anything is registered", () => {
    const raw = rawConfig({
      drop: ["shithubd:SHITHUB_AUTH__EMAIL_FROM", "shithubd:SHITHUB_TOTP_KEY"],
      set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKNED": "x", "shithubd:SHITHUB_SESSION_KEY": SESSION_KEY, "shithubd:region": "mars1" },
    });
    expect(() => readStackConfig(raw, realTemplates())).toThrow(ConfigError);
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(5);
    const text = formatProblems(problems);
    expect(text).toMatch(/^Stack 'staging' has 5 configuration problems; no resource was registered and no host was touched:/);
    expect(text).not.toContain(SESSION_KEY);
  });
});

describe("release gates", () => {
  const gated = {
    web: analyseTemplate(
      "web",
      "fixture web",
      "SHITHUB_DATABASE_URL={{{SHITHUB_DATABASE_URL}}}\n{{#since_v1_9_0}}SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64={{{SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64}}}\n{{/since_v1_9_0}}",
    ),
    worker: analyseTemplate("worker", "fixture worker", "SHITHUB_DATABASE_URL={{{SHITHUB_DATABASE_URL}}}\n"),
  };

  it("a variable added in v1.9.0 does not block a stack pinned at v1.8.0", () => {
    expect(parseStackConfig(rawConfig({ set: { "shithubd:version": "v1.8.0" } }), gated).ok).toBe(true);
  });

  it.each(["v1.9.0", "v1.10.2", "v2.0.0-rc.1"])("it is required on a stack pinned at %s", (version) => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:version": version } }), gated);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe(`is required from shithubd v1.9.0 on (this stack pins ${version}) but is not set`);
    expect(problems[0]!.fix).toMatch(/--secret shithubd:SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64/);
  });
});

describe("a versioned catalogue: which shithubd release reads each key", () => {
  // A catalogue in which v1.9.0 first reads SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64 (SINCE in catalogue.ts).
  const catalogue = (name: string) => {
    const entry = CATALOGUE.get(name);
    return entry !== undefined && name === "SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64" ? { ...entry, since: "1.9.0" } : entry;
  };
  const values = (set: Record<string, string>) => {
    const env = new Map(configOf(rawConfig({})).env);
    for (const [name, value] of Object.entries(set)) env.set(name, { value: new Sensitive(value), origin: "stack", placeholder: false });
    return env;
  };
  const template = (text: string) => ({ web: analyseTemplate("web", "templates/env/web.env.mustache", `SHITHUB_DATABASE_URL={{{SHITHUB_DATABASE_URL}}}\n${text}`), worker: analyseTemplate("worker", "templates/env/worker.env.mustache", "") });
  const KEY = { SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64: "c2VjcmV0" };

  it("a stack pinned before the release that reads a key cannot set it; from that release on it can", () => {
    const before = checkEnv({ stack: "staging", version: "v1.8.1", values: values(KEY), templates: template(""), catalogue });
    expect(before.map((p) => [p.key, p.message, p.fix])).toEqual([["shithubd:SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64",
      "is read by shithubd from v1.9.0 on; this stack pins v1.8.1, which would silently ignore it",
      "pulumi config rm shithubd:SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64 -s staging   # or pin shithubd:version v1.9.0 or later"]]);
    expect(checkEnv({ stack: "staging", version: "v1.9.0", values: values(KEY), templates: template(""), catalogue })).toEqual([]);
  });

  it("a template that requires a key on every release shithubd reads only from one: the file and the section to use", () => {
    const problems = checkEnv({ stack: "staging", version: "v1.9.0", values: values(KEY), templates: template("SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64={{{SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64}}}\n"), catalogue });
    expect(problems.map((p) => [p.message, p.fix])).toEqual([["is required by templates/env/web.env.mustache on every release, but shithubd reads it only from v1.9.0",
      "in templates/env/web.env.mustache, put its line inside {{#since_v1_9_0}}...{{/since_v1_9_0}}"]]);
    const gated = template("{{#since_v1_9_0}}SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64={{{SHITHUB_NOTIF__UNSUBSCRIBE_KEY_B64}}}\n{{/since_v1_9_0}}");
    expect(checkEnv({ stack: "staging", version: "v1.9.0", values: values(KEY), templates: gated, catalogue })).toEqual([]);
  });

  it("a template naming a key the catalogue lacks is a numbered problem with the file to edit, never a throw", () => {
    const problems = problemsOf(rawConfig({}), template("SHITHUB_FOO__BAR={{{SHITHUB_FOO__BAR}}}\n"));
    expect(problems.map((p) => [p.key, p.message, p.fix])).toEqual([["shithubd:SHITHUB_FOO__BAR", "is written by templates/env/web.env.mustache, but shithubd's key catalogue does not have it",
      "add it to components/config/catalogue.ts: its TOML path and type in TOML_KEYS, and in SINCE the first shithubd release that reads it (docs/runbooks/add-an-env-var.md)"]]);
    expect(formatProblems(problems)).toMatch(/^Stack 'staging' has 1 configuration problem;[^]*\n {2}1\. shithubd:SHITHUB_FOO__BAR: /);
  });
});

describe("production is a property of the stack (shithubd:production), by default from its name", () => {
  it("a stack of another name that says it is production gets every production rule and runs as prod", () => {
    const problems = problemsOf(rawConfig({ stack: "eu", set: { "shithubd:production": "true", "shithubd:tls": "internal", "shithubd:adminCidrs": JSON.stringify(["0.0.0.0/0"]) } }));
    // Its env runs as prod, so prod's own rule applies too (no stdout mail).
    expect(problems.map((p) => p.key).sort()).toEqual(["shithubd:SHITHUB_AUTH__EMAIL_BACKEND", "shithubd:adminCidrs", "shithubd:tls"]);
    const config = configOf(rawConfig({ stack: "eu", set: { "shithubd:production": "true", "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "postmark" },
      secret: { "shithubd:SHITHUB_AUTH__POSTMARK__SERVER_TOKEN": "pm-token" } }));
    expect(config.production).toBe(true);
    expect(config.env.get("SHITHUB_ENV")?.value).toBe("prod");
  });

  it("without the key, the name decides", () => {
    expect(configOf(rawConfig({ stack: "eu" })).production).toBe(false);
    expect(configOf(rawConfig({ stack: "eu" })).env.get("SHITHUB_ENV")?.value).toBe("dev");
  });

  it("a stack named production cannot switch its rules off", () => {
    const [p, ...rest] = problemsOf(rawConfig({ stack: "production", set: { "shithubd:production": "false" } }));
    expect(rest).toEqual([]);
    expect([p!.key, p!.message, p!.fix]).toEqual(["shithubd:production",
      "is false, but a stack named production is production to everyone who reads its name; its rules stay on", "pulumi config rm shithubd:production -s production"]);
  });

  it("refuses a value that is not a boolean", () => {
    const [p] = problemsOf(rawConfig({ stack: "eu", set: { "shithubd:production": "yes" } }));
    expect([p!.key, p!.message]).toEqual(["shithubd:production", "must be true or false"]);
  });
});

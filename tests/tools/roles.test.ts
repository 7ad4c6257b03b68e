import { execFileSync, spawnSync } from "node:child_process";
import type { SpawnSyncReturns } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { SSHD_HARDENING } from "../../components/hosts/bootstrap";
import { platformOf } from "../../components/hosts/platform";
import type { HostSpec } from "../../components/hosts/topology";
import { webAddress } from "../../components/release/releasePlan";
import { splitPassword } from "../../components/backups/pgpass";
import { databaseClients, databaseUrl, dbSetupFiles, dbSetupVars } from "../../components/roles/db";
import { scramSha256Verifier } from "../../components/roles/scram";
import { APP_CONNECTION_LIMIT, MAX_CONNECTIONS } from "../../components/roles/dbCapacity";
import type { DbNetwork, DbPasswords } from "../../components/roles/db";
import { edgeFiles, renderCaddyfile } from "../../components/roles/edge";
import type { EdgeInputs } from "../../components/roles/edge";
import { gitSshFiles } from "../../components/roles/gitSsh";
import { ROLE_MODULES } from "../../components/roles/index";
import type { RoleId } from "../../components/roles/role";
import { roleSetupBundle } from "../../components/roles/setupBundle";
import { accessFiles } from "../../components/roles/access";
import { backupObserverFiles, backupObserverSecretFiles } from "../../components/roles/backupObserver";
import { publicKeyOf } from "../../components/hosts/sshKeys";
import { configOf, FOUR_HOSTS, rawConfig, SSH_PRIVATE_KEY } from "../helpers";
import { findAll, freePort } from "./toolHelpers";
import type { Json } from "./toolHelpers";

// The host files of the edge, git-ssh and db roles, checked by the real tools (Debian's caddy,
// OpenSSH, PostgreSQL, bash and shellcheck; .ci/run installs them). Tests run as root.

const dir = mkdtempSync(join(tmpdir(), "roles-"));
/** Caddy keeps its state (the internal CA, autosave) under HOME/XDG_*: here, never under /root. */
const caddyHome = mkdtempSync(join(tmpdir(), "roles-caddy-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(caddyHome, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function output(run: SpawnSyncReturns<string>): string {
  if (run.error) throw run.error;
  return `${run.stdout}${run.stderr}`;
}

const DEBIAN_12 = platformOf("debian-12-x64")!;

// ---------------------------------------------------------------------------------------------
// edge: Caddy
// ---------------------------------------------------------------------------------------------

function caddy(args: string[]): SpawnSyncReturns<string> {
  return spawnSync("/usr/bin/caddy", args, {
    encoding: "utf8",
    env: { ...process.env, HOME: caddyHome, XDG_DATA_HOME: join(caddyHome, "data"), XDG_CONFIG_HOME: join(caddyHome, "config") },
  });
}

function validate(file: string): { status: number | null; output: string } {
  const run = caddy(["validate", "--adapter", "caddyfile", "--config", file]);
  return { status: run.status, output: output(run) };
}

/** Caddy's own JSON for a Caddyfile (`caddy adapt`): what it would run. */
function adapt(file: string): Json {
  const run = caddy(["adapt", "--adapter", "caddyfile", "--config", file]);
  if (run.status !== 0) throw new Error(`caddy adapt failed:\n${output(run)}`);
  return JSON.parse(run.stdout) as Json;
}


const reverseProxies = (tree: Json): Json[] => findAll(tree, (n) => n.handler === "reverse_proxy");

/** The domains of the two stack files. */
const STACK_DOMAINS = ["staging", "production"].map((stack) => {
  const file = parse(readFileSync(join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return String(file.config["shithubd:domain"]);
});

const STAGING_CA = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** The edge's inputs as the program builds them (steps.ts) from a stack config with `set`. */
function edgeInputs(domain: string, set: Record<string, string> = {}): EdgeInputs {
  const config = configOf(rawConfig({ set: { "shithubd:domain": domain, ...set } }));
  return { host: "shithub-app", domain: config.domain, upstream: webAddress(config), edge: config.edge };
}

const EDGE_VARIANTS: Array<[string, Record<string, string>]> = [
  ["acme", {}],
  ["acme with acmeCaUrl", { "shithubd:acmeCaUrl": STAGING_CA }],
  ["tls internal", { "shithubd:tls": "internal", "shithubd:edgeWaitSeconds": "45" }],
];

const EDGE_CASES = STACK_DOMAINS.flatMap((domain) => EDGE_VARIANTS.map(([what, set]) => [domain, what, edgeInputs(domain, set)] as const));

describe("edge: the Caddyfile, checked by Caddy", () => {
  it("the stack files name the domains checked here", () => {
    expect(STACK_DOMAINS).toEqual(["staging.shithub.sh", "shithub.sh"]);
  });

  it.each(EDGE_CASES)("%s, %s: passes `caddy validate`", (domain, what, inputs) => {
    const file = write(`Caddyfile-${domain}-${what.replace(/\W+/g, "-")}`, renderCaddyfile(inputs));
    expect(validate(file)).toMatchObject({ status: 0, output: expect.stringContaining("Valid configuration") });
  });

  describe.each(EDGE_CASES)("%s, %s: as Caddy adapts it", (domain, what, inputs) => {
    const json = adapt(write(`Caddyfile-${domain}-${what.replace(/\W+/g, "-")}-adapt`, renderCaddyfile(inputs)));
    // The public server (:443); the loopback metrics server is another.
    const server: Json = (Object.values(json.apps.http.servers) as Json[]).find((s) => s.listen.includes(":443"));
    const routes: Json[] = server.routes;
    const site = routes.find((r) => JSON.stringify(r.match) === JSON.stringify([{ host: [domain] }]));

    it("every reverse_proxy waits edgeWaitSeconds for shithubd, retrying every 250ms", () => {
      const proxies = reverseProxies(site);
      expect(proxies).toHaveLength(3);
      for (const proxy of proxies) {
        expect(proxy.upstreams).toEqual([{ dial: inputs.upstream }]);
        expect(proxy.load_balancing).toEqual({ try_duration: inputs.edge.waitSeconds * 1e9, try_interval: 250e6 });
      }
    });

    it("git smart HTTP streams (flush_interval -1) with 30 minute timeouts", () => {
      const git = findAll(site, (n) => Array.isArray(n.match) && n.match.some((m: Json) => m.path_regexp?.name === "git"));
      expect(git).toHaveLength(1);
      const [proxy] = reverseProxies(git[0]);
      expect(proxy.flush_interval).toBe(-1);
      expect(proxy.transport).toMatchObject({ read_timeout: 1800e9, write_timeout: 1800e9, response_header_timeout: 1800e9 });
      const pattern = new RegExp(git[0].match[0].path_regexp.pattern);
      expect(["/alice/repo.git/info/refs", "/alice/repo.git/git-upload-pack", "/alice/repo.git/git-receive-pack"].every((p) => pattern.test(p))).toBe(true);
      expect(pattern.test("/alice/repo.git/HEAD")).toBe(false);
    });

    it("answers 404 itself for shithubd's /metrics and /internal/*, before any proxy", () => {
      const internal = findAll(site, (n) => Array.isArray(n.match) && n.match.some((m: Json) => Array.isArray(m.path) && m.path.includes("/internal/*")));
      expect(internal).toHaveLength(1);
      expect(internal[0].match).toEqual([{ path: ["/metrics", "/metrics/*", "/internal", "/internal/*"] }]);
      expect(findAll(internal[0], (n) => n.handler === "static_response").map((n) => n.status_code)).toEqual([404]);
      expect(reverseProxies(internal[0])).toEqual([]);
    });

    it("sends HSTS (a year, subdomains) and nosniff, and drops the Server header", () => {
      const headers = findAll(site, (n) => n.handler === "headers" && n.response?.set?.["Strict-Transport-Security"] !== undefined);
      expect(headers).toHaveLength(1);
      expect(headers[0].response).toMatchObject({
        set: { "Strict-Transport-Security": ["max-age=31536000; includeSubDomains"], "X-Content-Type-Options": ["nosniff"] },
        delete: ["Server"],
      });
    });

    it("www. redirects permanently to the domain, keeping the URI", () => {
      const www = routes.find((r) => JSON.stringify(r.match) === JSON.stringify([{ host: [`www.${domain}`] }]));
      expect(findAll(www, (n) => n.handler === "static_response")).toEqual([
        { handler: "static_response", status_code: 301, headers: { Location: [`https://${domain}{http.request.uri}`] } },
      ]);
    });

    it("answers 502/503/504 with the maintenance page, as a 503 with Retry-After", () => {
      const errors = server.errors.routes;
      const unavailable = findAll(errors, (n) => Array.isArray(n.match) && n.match.some((m: Json) => m.expression !== undefined));
      expect(unavailable).toHaveLength(1);
      expect(unavailable[0].match).toEqual([{ expression: "{http.error.status_code} in [502, 503, 504]" }]);
      expect(findAll(unavailable[0], (n) => n.handler === "file_server").map((n) => n.status_code)).toEqual([503]);
      expect(findAll(unavailable[0], (n) => n.handler === "rewrite").map((n) => n.uri)).toEqual(["/maintenance.html"]);
      expect(findAll(unavailable[0], (n) => n.response?.set?.["Retry-After"] !== undefined).map((n) => n.response.set["Retry-After"])).toEqual([["30"]]);
    });

    it("gets certificates for the domain and www. from the configured issuer", () => {
      const policies: Json[] = json.apps.tls.automation.policies;
      expect(policies).toHaveLength(1);
      expect(policies[0].subjects).toEqual([`www.${domain}`, domain]);
      if (inputs.edge.tls === "internal") {
        expect(policies[0].issuers).toEqual([{ module: "internal" }]);
        expect(json.apps.pki.certificate_authorities.local.install_trust).toBe(false);
      } else if (inputs.edge.acmeCaUrl !== undefined) {
        expect(policies[0].issuers).toEqual([{ module: "acme", ca: inputs.edge.acmeCaUrl, email: inputs.edge.acmeEmail }]);
      } else {
        expect(policies[0].issuers).toEqual([
          { module: "acme", email: inputs.edge.acmeEmail },
          { module: "zerossl", email: inputs.edge.acmeEmail },
        ]);
      }
    });
  });

  it("`caddy validate` rejects a Caddyfile with an unknown directive (the check above can fail)", () => {
    const good = renderCaddyfile(edgeInputs("shithub.sh"));
    expect(good).toContain("\tencode gzip\n");
    const file = write("Caddyfile-broken", good.replace("\tencode gzip\n", "\tencode gzip\n\tfrobnicate on\n"));
    const result = validate(file);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("unrecognized directive: frobnicate");
  });
});

// ---------------------------------------------------------------------------------------------
// git-ssh: sshd and the wrapper scripts
// ---------------------------------------------------------------------------------------------

const ADMIN_CIDRS = ["198.51.100.0/24", "2001:db8:5::/48"];

describe("git-ssh: sshd's config, checked by sshd", () => {
  const files = gitSshFiles(ADMIN_CIDRS);
  const sshDir = join(dir, "ssh");
  const hostKey = join(sshDir, "hostkey");

  beforeAll(() => {
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd -t needs its privilege-separation dir
    mkdirSync(join(sshDir, "sshd_config.d"), { recursive: true });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  });

  /** An sshd_config with the hardening drop-in, then the git drop-in (as the hosts have them), and a host key. */
  function sshdConfig(gitConf: string): string {
    const hardening = join(sshDir, "sshd_config.d", "10-shithub.conf");
    const git = join(sshDir, "sshd_config.d", "20-shithub-git.conf");
    writeFileSync(hardening, `${SSHD_HARDENING.join("\n")}\n`);
    writeFileSync(git, gitConf);
    const conf = join(sshDir, "sshd_config");
    writeFileSync(conf, `Include ${hardening}\nInclude ${git}\nHostKey ${hostKey}\n`);
    return conf;
  }

  function sshdTest(conf: string): { status: number | null; output: string } {
    const run = spawnSync("/usr/sbin/sshd", ["-t", "-f", conf], { encoding: "utf8" });
    return { status: run.status, output: output(run).trim() };
  }

  /** sshd's effective settings for a connection (`sshd -T -C`): keyword -> its values. */
  function effective(conf: string, user: string, addr: string): Map<string, string[]> {
    const run = spawnSync("/usr/sbin/sshd", ["-T", "-f", conf, "-C", `user=${user},host=client.example,addr=${addr}`], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`sshd -T failed:\n${output(run)}`);
    const settings = new Map<string, string[]>();
    for (const line of run.stdout.trim().split("\n")) {
      const [key, ...value] = line.split(" ");
      settings.set(key!, [...(settings.get(key!) ?? []), value.join(" ")]);
    }
    return settings;
  }

  it("the hardening and git drop-ins pass `sshd -t` with no output", () => {
    expect(sshdTest(sshdConfig(files["sshd-git.conf"]!))).toEqual({ status: 0, output: "" });
  });

  it("git, from any address, gets its keys from shithubd (as shithub) and no authorized_keys file", () => {
    const git = effective(sshdConfig(files["sshd-git.conf"]!), "git", "203.0.113.9");
    expect(git.get("authorizedkeyscommand")).toEqual(["/usr/local/bin/shithub-ssh-authkeys %f"]);
    expect(git.get("authorizedkeyscommanduser")).toEqual(["shithub"]);
    expect(git.get("authorizedkeysfile")).toEqual(["none"]);
  });

  it("git gets no TTY, no forwarding of any kind, and no password or keyboard-interactive login", () => {
    const git = effective(sshdConfig(files["sshd-git.conf"]!), "git", "203.0.113.9");
    const pick = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, git.get(k)?.join(" ")]));
    expect(pick(["permittty", "allowtcpforwarding", "allowagentforwarding", "x11forwarding", "permittunnel", "permitopen",
      "permitlisten", "allowstreamlocalforwarding", "gatewayports", "permituserrc", "passwordauthentication", "kbdinteractiveauthentication"])).toEqual({
      permittty: "no", allowtcpforwarding: "no", allowagentforwarding: "no", x11forwarding: "no", permittunnel: "no", permitopen: "none",
      permitlisten: "none", allowstreamlocalforwarding: "no", gatewayports: "no", permituserrc: "no", passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
    });
  });

  it("the git port takes the real deployment's connection settings, for git and root alike", () => {
    for (const [user, addr] of [["git", "203.0.113.9"], ["root", "198.51.100.7"]] as const) {
      const s = effective(sshdConfig(files["sshd-git.conf"]!), user, addr);
      const pick = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, s.get(k)?.join(" ")]));
      expect(pick(["maxstartups", "clientaliveinterval", "clientalivecountmax", "maxsessions", "authenticationmethods"])).toEqual({
        maxstartups: "100:30:200", clientaliveinterval: "60", clientalivecountmax: "3", maxsessions: "10", authenticationmethods: "publickey",
      });
    }
  });

  it("root's logins are untouched by the git block: no AuthorizedKeysCommand, keys only", () => {
    const root = effective(sshdConfig(files["sshd-git.conf"]!), "root", "198.51.100.7");
    expect(root.get("authorizedkeyscommand")).toEqual(["none"]);
    expect(root.get("authorizedkeysfile")).toEqual([".ssh/authorized_keys .ssh/authorized_keys2"]);
    expect(root.get("permitrootlogin")).toEqual(["without-password"]);
    expect(root.get("passwordauthentication")).toEqual(["no"]);
  });

  it("only git, and root from each admin network (IPv4 and IPv6), may log in", () => {
    const settings = effective(sshdConfig(files["sshd-git.conf"]!), "root", "198.51.100.7");
    expect(settings.get("allowusers")).toEqual(["git", ...ADMIN_CIDRS.map((cidr) => `root@${cidr}`)]);
  });

  it("in Debian's own sshd_config (drop-ins included first), `sshd -t` passes and the git block ends with its file", () => {
    const debian = readFileSync("/etc/ssh/sshd_config", "utf8");
    const include = "Include /etc/ssh/sshd_config.d/*.conf\n";
    expect(debian).toContain(include);
    sshdConfig(files["sshd-git.conf"]!);
    const conf = join(sshDir, "debian_sshd_config");
    writeFileSync(conf, `${debian.replace(include, `Include ${join(sshDir, "sshd_config.d")}/*.conf\n`)}HostKey ${hostKey}\n`);
    expect(sshdTest(conf)).toEqual({ status: 0, output: "" });
    const root = effective(conf, "root", "198.51.100.7");
    expect(root.get("permittty")).toEqual(["yes"]);
    expect(root.get("subsystem")).toEqual(["sftp /usr/lib/openssh/sftp-server"]);
  });

  it("`sshd -t` rejects the git drop-in with a bad option appended (the checks above can fail)", () => {
    const result = sshdTest(sshdConfig(`${files["sshd-git.conf"]!}\tNoSuchOption yes\n`));
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/Bad configuration option: NoSuchOption/i);
  });
});

/** shellcheck as scripts.test.ts runs it: bash, every severity down to style. */
function shellcheck(file: string): { status: number | null; output: string } {
  const run = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
  return { status: run.status, output: output(run) };
}

function bashN(file: string): { status: number | null; output: string } {
  const run = spawnSync("bash", ["-n", file], { encoding: "utf8" });
  return { status: run.status, output: output(run) };
}

describe("git-ssh: the wrapper scripts", () => {
  const files = gitSshFiles(ADMIN_CIDRS);

  it.each(["shithub-ssh-authkeys", "git-shell-shithubd"])("%s passes `bash -n` and shellcheck", (name) => {
    const file = write(name, files[name]!);
    expect(files[name]!.startsWith("#!/bin/bash\n")).toBe(true);
    expect(bashN(file)).toEqual({ status: 0, output: "" });
    expect(shellcheck(file)).toEqual({ status: 0, output: "" });
  });
});

// ---------------------------------------------------------------------------------------------
// setup bundles, as the program sends them
// ---------------------------------------------------------------------------------------------

describe("role setup bundles as sent", () => {
  const clients = databaseClients(FOUR_HOSTS as HostSpec[]);
  /** Each role's files and bundle settings, as components/roles/steps.ts builds them. */
  const STEP_CONTENT: Record<"access" | "edge" | "git-ssh" | "backup-observer" | "db", { host: string; vars: Record<string, string | number>; files: Record<string, string> }> = {
    access: { host: "shithub-db", vars: {}, files: accessFiles({ stack: "production", deployKey: publicKeyOf(SSH_PRIVATE_KEY), authorizedKeys: [], adminCidrs: ADMIN_CIDRS }) },
    edge: { host: "shithub-app", vars: {}, files: edgeFiles(edgeInputs("shithub.sh")) },
    "backup-observer": {
      host: "shithub-app", vars: {},
      files: {
        ...backupObserverFiles({ backupsBucket: "shithub-backups", backupsDrBucket: "shithub-backups-dr" }),
        ...backupObserverSecretFiles({ provider: "DigitalOcean", endpoint: "nyc3.digitaloceanspaces.com", drEndpoint: "sfo3.digitaloceanspaces.com",
          accessKey: "AK", secretKey: "SK", backupsBucket: "shithub-backups", backupsDrBucket: "shithub-backups-dr" }),
      },
    },
    "git-ssh": { host: "shithub-app", vars: {}, files: gitSshFiles(ADMIN_CIDRS) },
    db: {
      host: "shithub-db",
      vars: dbSetupVars(DEBIAN_12),
      files: dbSetupFiles(
        { dbPrivateIp: "10.10.0.3", clientAddresses: { "shithub-app": "10.10.0.2", "shithub-backup": "10.10.0.4" }, clients },
        { appPassword: "app'pass:w0rd", backupPassword: "backup-pass-w0rd", appSalt: "c2FsdHNhbHRzYWx0c2FsdA==", backupSalt: "cGVwcGVycGVwcGVycGVwcA==" },
      ),
    },
  };

  function bundle(id: keyof typeof STEP_CONTENT): string {
    const role = ROLE_MODULES[id as RoleId];
    const { host, vars, files } = STEP_CONTENT[id];
    return roleSetupBundle(role, host, DEBIAN_12, vars, files);
  }

  it.each(["access", "edge", "git-ssh", "backup-observer", "db"] as const)("the %s setup bundle passes `bash -n` and shellcheck", (id) => {
    const file = write(`${id}-setup.sh`, bundle(id));
    expect(bashN(file)).toEqual({ status: 0, output: "" });
    expect(shellcheck(file)).toEqual({ status: 0, output: "" });
  });

  it("`bash -n` and shellcheck reject a broken bundle (the checks above can fail)", () => {
    expect(bashN(write("broken-syntax.sh", `${bundle("edge")}\nif true; then\n`)).status).not.toBe(0);
    const unquoted = shellcheck(write("broken-style.sh", `${bundle("edge")}\nrm -rf $STAGE/\n`));
    expect(unquoted.status).not.toBe(0);
    expect(unquoted.output).toContain("SC2086");
  });
});

// ---------------------------------------------------------------------------------------------
// db: PostgreSQL reads the rendered files itself
// ---------------------------------------------------------------------------------------------

/** The PostgreSQL major version installed here (Debian's postgresql package), found by listing. */
const PG_MAJOR = readdirSync("/usr/lib/postgresql")
  .filter((v) => /^\d+$/.test(v) && existsSync(join("/usr/lib/postgresql", v, "bin", "postgres")))
  .map(Number)
  .sort((a, b) => b - a)[0];
if (PG_MAJOR === undefined) throw new Error("no PostgreSQL server in /usr/lib/postgresql (apt-get install postgresql)");
const PG_BIN = join("/usr/lib/postgresql", String(PG_MAJOR), "bin");

/** The production topology: shithub-app and shithub-backup reach shithub-db over the VPC. */
const DB_NET: DbNetwork = {
  dbPrivateIp: "10.10.0.3",
  clientAddresses: { "shithub-app": "10.10.0.2", "shithub-backup": "10.10.0.4" },
  clients: databaseClients(FOUR_HOSTS as HostSpec[]),
};
/** Not what the program generates (alphanumerics), to show the quoting holds. */
const DB_PASSWORDS: DbPasswords = { appPassword: "app'pass:w0rd", backupPassword: "backup-pass-w0rd", appSalt: "c2FsdHNhbHRzYWx0c2FsdA==", backupSalt: "cGVwcGVycGVwcGVycGVwcA==" };


describe("db: PostgreSQL reads the rendered files", () => {
  const files = dbSetupFiles(DB_NET, DB_PASSWORDS);
  let base = "";
  let data = "";
  let port = 0;
  let started = false;

  /** A PostgreSQL program as the postgres user (tests run as root). */
  function asPostgres(program: string, args: string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, program), ...args], { encoding: "utf8", cwd: base, ...(input !== undefined ? { input } : {}) });
  }

  /** psql as postgres over the socket in `base`; the result of a query that returns one value. */
  function query(sql: string, database = "postgres"): string {
    const run = asPostgres("psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", base, "-p", String(port), "-d", database, "-c", sql]);
    if (run.status !== 0) throw new Error(`psql failed: ${sql}\n${output(run)}`);
    return run.stdout.trim();
  }

  function queryJson(sql: string, database = "postgres"): Json {
    return JSON.parse(query(`SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`, database));
  }

  function runRolesSql(): SpawnSyncReturns<string> {
    return asPostgres("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-h", base, "-p", String(port), "-d", "postgres", "-f", "-"], files["roles.sql"]!);
  }

  const hbaRules = (): Json[] =>
    queryJson("SELECT line_number, type, database, user_name, address, netmask, auth_method, error FROM pg_hba_file_rules ORDER BY line_number");

  /** A password login over TCP to 127.0.0.1 (the rendered pg_hba's scram-sha-256 line for loopback). */
  function tcpLogin(user: string, password: string): { status: number | null; output: string } {
    const run = spawnSync(join(PG_BIN, "psql"), ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "shithub", "-c", "SELECT current_user"], {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: password, PGPASSFILE: "/dev/null", PGCONNECT_TIMEOUT: "10" },
    });
    return { status: run.status, output: output(run).trim() };
  }

  beforeAll(async () => {
    port = await freePort();
    base = mkdtempSync(join(tmpdir(), "roles-pg-"));
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    chownSync(base, uid, gid);
    data = join(base, "data");
    const init = asPostgres("initdb", ["-D", data, "-E", "UTF8", "--locale=C.UTF-8", "--auth=peer"]);
    if (init.status !== 0) throw new Error(`initdb failed:\n${output(init)}`);

    // The rendered files, as the db setup step installs them (pg_hba.conf; shithub.conf included by postgresql.conf).
    writeFileSync(join(data, "pg_hba.conf"), files["pg_hba.conf"]!);
    writeFileSync(join(data, "shithub.conf"), files["shithub.conf"]!);
    // hostssl lines need ssl = on (Postgres reports them as errors otherwise): a throwaway self-signed certificate.
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
      "-keyout", join(data, "server.key"), "-out", join(data, "server.crt")], { stdio: "ignore" });
    const preload = existsSync(join("/usr/lib/postgresql", String(PG_MAJOR), "lib", "pg_stat_statements.so"));
    // Overrides after the include (the last setting wins): this machine's loopback, a free port, our socket dir.
    writeFileSync(join(data, "postgresql.conf"), `${readFileSync(join(data, "postgresql.conf"), "utf8")}
include 'shithub.conf'
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${base}'
${preload ? "" : "shared_preload_libraries = ''\n"}`);
    for (const name of ["pg_hba.conf", "shithub.conf", "server.key", "server.crt", "postgresql.conf"]) chownSync(join(data, name), uid, gid);
    chmodSync(join(data, "server.key"), 0o600);

    const start = asPostgres("pg_ctl", ["-D", data, "-l", join(base, "postgres.log"), "-w", "-t", "60", "start"]);
    if (start.status !== 0) throw new Error(`pg_ctl start failed:\n${output(start)}\n${readFileSync(join(base, "postgres.log"), "utf8")}`);
    started = true;
  }, 120_000);

  afterAll(() => {
    if (started) asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
    if (base !== "") rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it("debian-12-x64's platform names the PostgreSQL major version installed here", () => {
    expect(DEBIAN_12.postgresMajor).toBe(PG_MAJOR);
  });

  it("the production topology's clients are shithub-app (as shithub) and shithub-backup (as shithub_backup)", () => {
    expect(DB_NET.clients.map((c) => [c.host, c.user])).toEqual([["shithub-app", "shithub"], ["shithub-backup", "shithub_backup"]]);
  });

  it("shithub.conf: every setting is valid; TLS on, scram-sha-256, pg_stat_statements preloaded", () => {
    const settings = queryJson("SELECT name, setting, error FROM pg_file_settings WHERE sourcefile LIKE '%/shithub.conf' ORDER BY seqno");
    expect(settings).toEqual([
      { name: "listen_addresses", setting: `localhost,${DB_NET.dbPrivateIp}`, error: null },
      { name: "port", setting: "5432", error: null },
      { name: "password_encryption", setting: "scram-sha-256", error: null },
      { name: "ssl", setting: "on", error: null },
      { name: "shared_preload_libraries", setting: "pg_stat_statements", error: null },
    ]);
    expect([query("SHOW ssl"), query("SHOW password_encryption"), query("SHOW shared_preload_libraries")]).toEqual(["on", "scram-sha-256", "pg_stat_statements"]);
  });

  it("pg_hba.conf: Postgres reports no error on any line", () => {
    const rules = hbaRules();
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter((r) => r.error !== null)).toEqual([]);
  });

  it("pg_hba.conf: over the network, only each client's /32, with TLS and scram-sha-256, to shithub as its own role", () => {
    const network = hbaRules().filter((r) => r.type === "hostssl");
    expect(network.map(({ database, user_name, address, netmask, auth_method }) => ({ database, user_name, address, netmask, auth_method }))).toEqual(
      DB_NET.clients.map((c) => ({
        database: ["shithub"], user_name: [c.user], address: DB_NET.clientAddresses[c.host], netmask: "255.255.255.255", auth_method: "scram-sha-256",
      })),
    );
    expect(network.map((r) => r.user_name)).toEqual([["shithub"], ["shithub_backup"]]);
  });

  it("pg_hba.conf: no line admits any address but loopback and the clients' (no 0.0.0.0/0, no networks)", () => {
    const addressed = hbaRules().filter((r) => r.type !== "local");
    expect(addressed.map((r) => `${r.type} ${r.address}/${r.netmask}`)).toEqual([
      "host 127.0.0.1/255.255.255.255",
      "host ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "hostssl 10.10.0.2/255.255.255.255",
      "hostssl 10.10.0.4/255.255.255.255",
    ]);
  });

  it("roles.sql runs without error, twice (it is idempotent)", () => {
    for (const run of [runRolesSql(), runRolesSql()]) {
      expect({ status: run.status, errors: run.stderr.split("\n").filter((l) => /ERROR|FATAL/.test(l)) }).toEqual({ status: 0, errors: [] });
    }
  });

  it("roles.sql: shithub and shithub_backup can log in and have no special powers", () => {
    expect(queryJson("SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname LIKE 'shithub%' ORDER BY rolname")).toEqual([
      { rolname: "shithub", rolcanlogin: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false },
      { rolname: "shithub_backup", rolcanlogin: true, rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false },
    ]);
  });

  it("roles.sql: shithub's connections are limited below max_connections, which the plan's pool check assumes (family 10)", () => {
    expect(Number(query("SHOW max_connections"))).toBe(MAX_CONNECTIONS);
    expect(Number(query("SHOW superuser_reserved_connections"))).toBe(3);
    expect(queryJson("SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname LIKE 'shithub%' ORDER BY rolname")).toEqual([
      { rolname: "shithub", rolconnlimit: APP_CONNECTION_LIMIT },
      { rolname: "shithub_backup", rolconnlimit: -1 },
    ]);
  });

  it("roles.sql: the database shithub is UTF8 and owned by shithub", () => {
    expect(queryJson("SELECT datname, pg_encoding_to_char(encoding) AS encoding, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'shithub'")).toEqual([
      { datname: "shithub", encoding: "UTF8", owner: "shithub" },
    ]);
  });

  it("roles.sql: citext and pg_stat_statements are installed in shithub, and pg_stat_statements works", () => {
    expect(query("SELECT string_agg(extname, ' ' ORDER BY extname) FROM pg_extension WHERE extname IN ('citext', 'pg_stat_statements')", "shithub")).toBe("citext pg_stat_statements");
    expect(Number(query("SELECT count(*) FROM pg_stat_statements", "shithub"))).toBeGreaterThanOrEqual(0);
  });

  it("roles.sql: shithub_backup is a member of pg_read_all_data (and shithub is not)", () => {
    expect(query("SELECT pg_has_role('shithub_backup', 'pg_read_all_data', 'MEMBER') || ' ' || pg_has_role('shithub', 'pg_read_all_data', 'MEMBER')")).toBe("true false");
  });

  it("roles.sql: the server keeps the program's SCRAM verifiers, and no password in plain reaches pg_stat_statements (pg_monitor reads it)", () => {
    // What an earlier roles.sql left there: the role statement with its password, as the server tracked it.
    query("SET pg_stat_statements.track_utility = on; ALTER ROLE shithub_backup PASSWORD 'leaked-before-pw'");
    expect(Number(query("SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%leaked-before-pw%'", "shithub"))).toBe(1);
    expect(runRolesSql().status).toBe(0);
    const statements = query("SELECT coalesce(string_agg(query, E'\\n'), '') FROM pg_stat_statements", "shithub");
    for (const secret of ["leaked-before-pw", DB_PASSWORDS.appPassword.replace("'", "''"), DB_PASSWORDS.backupPassword, "SCRAM-SHA-256"]) expect(statements).not.toContain(secret);
    expect(query("SELECT rolpassword FROM pg_authid WHERE rolname = 'shithub'"))
      .toBe(scramSha256Verifier(DB_PASSWORDS.appPassword, Buffer.from(DB_PASSWORDS.appSalt, "base64")));
  });

  it("shithub logs in with its password over TCP; a wrong password is refused (the check can fail)", () => {
    expect(tcpLogin("shithub", DB_PASSWORDS.appPassword)).toEqual({ status: 0, output: "shithub" });
    expect(tcpLogin("shithub_backup", DB_PASSWORDS.backupPassword)).toEqual({ status: 0, output: "shithub_backup" });
    const wrong = tcpLogin("shithub", "not-the-password");
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toContain('password authentication failed for user "shithub"');
  });

  it("the backup jobs' libpq logs in with the URL without its password and the pgpass file (the password never in argv)", () => {
    // The app role's password has a quote and a colon: the URL encodes it, pgpass escapes it.
    const { url, pgpass } = splitPassword(databaseUrl("shithub", DB_PASSWORDS.appPassword, false, "127.0.0.1").replace(":5432/", `:${port}/`));
    expect(url).not.toContain(encodeURIComponent(DB_PASSWORDS.appPassword));
    const file = join(base, "pgpass");
    writeFileSync(file, pgpass, { mode: 0o600 });
    const login = (passfile: string) => spawnSync(join(PG_BIN, "psql"), ["-X", "-A", "-t", "-c", "SELECT current_user", url], {
      encoding: "utf8", env: { ...process.env, PGPASSFILE: passfile, PGPASSWORD: "", PGCONNECT_TIMEOUT: "10" },
    });
    const ok = login(file);
    expect({ status: ok.status, out: ok.stdout.trim(), err: ok.stderr.trim() }).toEqual({ status: 0, out: "shithub", err: "" });
    const without = login("/dev/null");
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/password/);
  });

  it("Postgres reports an error row for a broken pg_hba line (the checks above can fail)", () => {
    const hba = join(data, "pg_hba.conf");
    try {
      writeFileSync(hba, `${files["pg_hba.conf"]!}host all all 10.0.0.0/8 frobnicate\n`);
      query("SELECT pg_reload_conf()");
      const broken = hbaRules().filter((r) => r.error !== null);
      expect(broken).toHaveLength(1);
      expect(broken[0].line_number).toBe(files["pg_hba.conf"]!.split("\n").length);
      expect(broken[0].error).toContain('invalid authentication method "frobnicate"');
    } finally {
      writeFileSync(hba, files["pg_hba.conf"]!);
      query("SELECT pg_reload_conf()");
    }
    expect(hbaRules().filter((r) => r.error !== null)).toEqual([]);
  });
});

describe("edge: Caddy's admin API and metrics (security review N14)", () => {
  it("the admin API is a socket in caddy's directory, not a port; metrics are served on loopback only", () => {
    const json = adapt(write("Caddyfile-admin", renderCaddyfile(edgeInputs("staging.shithub.sh"))));
    expect(json.admin).toEqual({ listen: "unix//var/lib/caddy/admin.sock" });
    const metrics = (Object.values(json.apps.http.servers) as Json[]).filter((s) => findAll(s, (n) => n.handler === "metrics").length > 0);
    expect(metrics.map((s) => s.listen)).toEqual([["127.0.0.1:2020"]]);
  });
});

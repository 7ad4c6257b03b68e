import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { scramSha256Verifier } from "../../components/roles/scram";
import { freePort } from "./toolHelpers";
import { otherPostgres } from "./otherPostgres";

// The database half of the takeover (templates/takeover/shithub-takeover-db.sh) between two real
// PostgreSQL clusters on this machine, of two majors as in a real takeover: the live forge's
// (publishing, a newer major: Debian trixie's, tests/tools/otherPostgres.ts, as the live box runs
// Ubuntu's 16) and the stack's db host's (subscribing, this machine's: the stack's image ships
// Debian 12's 15). Both schemas are made alike, as shithubd's own `migrate up` makes them at one
// version, each with its own migration ledger. The script runs as postgres here (tests run as
// root, and the hosts run it as root, which becomes postgres), with this machine's psql on both
// sides; the clusters are reached through PGHOST/PGPORT instead of the hosts' default socket:
// the one substitution.

const SCRIPT = join(__dirname, "..", "..", "templates", "takeover", "shithub-takeover-db.sh");
const PG_MAJOR = readdirSync("/usr/lib/postgresql").filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => b - a)[0]!;
const PG_BIN = join("/usr/lib/postgresql", String(PG_MAJOR), "bin");
const base = mkdtempSync(join(tmpdir(), "takeover-db-"));
const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
chownSync(base, uid, gid);


/** Where a cluster's server runs: this machine's binaries, or another major's in its own root. */
interface Server {
  readonly bin: string;
  readonly root?: string;
}

/**
 * A server program as postgres: in `root`, a private mount namespace lends it the test's
 * directory at the same path (so the server and this machine's clients name the same files).
 */
function asServer(server: Server, argv: string[]): { status: number | null; stderr: string } {
  const program = [join(server.bin, argv[0]!), ...argv.slice(1)];
  if (server.root === undefined) return spawnSync("runuser", ["-u", "postgres", "--", ...program], { encoding: "utf8" });
  const r = server.root;
  execFileSync("mkdir", ["-p", join(r, base), join(r, "dev"), join(r, "proc")]);
  const q = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  return spawnSync("unshare", ["--mount", "--propagation", "private", "--", "sh", "-ec",
    `mount --bind ${q(base)} ${q(join(r, base))}; mount --rbind /dev ${q(join(r, "dev"))}; mount -t proc proc ${q(join(r, "proc"))}; exec chroot ${q(r)} runuser -u postgres -- ${program.map(q).join(" ")}`], { encoding: "utf8" });
}

/** A throwaway cluster listening on loopback with TLS (the subscription asks for it). */
class Cluster {
  readonly data: string;
  constructor(readonly name: string, readonly port: number, readonly server: Server = { bin: PG_BIN }) {
    this.data = join(base, name);
  }

  start(settings: string): void {
    const init = asServer(this.server, ["initdb", "-D", this.data, "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=peer", "--auth-host=scram-sha-256"]);
    if (init.status !== 0) throw new Error(init.stderr);
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(this.data, "server.key"), "-out", join(this.data, "server.crt")], { stdio: "ignore" });
    for (const f of ["server.key", "server.crt"]) chownSync(join(this.data, f), uid, gid);
    chmodSync(join(this.data, "server.key"), 0o600);
    writeFileSync(join(this.data, "postgresql.conf"), `${readFileSync(join(this.data, "postgresql.conf"), "utf8")}
listen_addresses = '127.0.0.1'
port = ${this.port}
unix_socket_directories = '${base}'
ssl = on
${settings}
`);
    const run = asServer(this.server, ["pg_ctl", "-D", this.data, "-l", join(base, `${this.name}.log`), "-w", "-t", "60", "start"]);
    if (run.status !== 0) throw new Error(`${String(run.stderr)}${readFileSync(join(base, `${this.name}.log`), "utf8")}`);
  }

  stop(): void {
    asServer(this.server, ["pg_ctl", "-D", this.data, "-m", "fast", "-w", "-t", "60", "stop"]);
  }

  sql(text: string, database = "shithub"): string {
    const run = spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", base, "-p", String(this.port), "-d", database, "-c", text], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`${this.name}: ${text}\n${run.stderr}`);
    return run.stdout.trim();
  }

  /** The takeover script against this cluster, as postgres. */
  takeover(args: string[], input = ""): { code: number | null; stdout: string; stderr: string } {
    const run = spawnSync("runuser", ["-u", "postgres", "--", SCRIPT, ...args], {
      encoding: "utf8", input, cwd: base,
      env: { ...process.env, PGHOST: base, PGPORT: String(this.port), PATH: `${PG_BIN}:${process.env.PATH ?? ""}`, TAKEOVER_PASSFILE: join(base, `${this.name}.pgpass`) },
    });
    return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
  }
}

/** What `migrate up` makes on each side: the same tables, each side's own ledger. */
const SCHEMA = `
CREATE TABLE goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, is_applied boolean NOT NULL);
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true);
CREATE TABLE users (id bigserial PRIMARY KEY, username text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE repos (id bigserial PRIMARY KEY, owner_id bigint NOT NULL REFERENCES users (id), name text NOT NULL);
CREATE TABLE issues (id bigserial PRIMARY KEY, repo_id bigint NOT NULL REFERENCES repos (id), title text NOT NULL, body text);
`;

const OTHER = otherPostgres();
const source = new Cluster("live", 0, OTHER);
const target = new Cluster("stack", 0);
const clusters: Cluster[] = [];
const password = randomBytes(24).toString("base64url");

/** Every table's content as one digest per table, to compare beyond counts. */
const digests = (c: Cluster) => c.sql("SELECT string_agg(t || '=' || d, ' ' ORDER BY t) FROM (SELECT 'users' t, md5(string_agg(u::text, ',' ORDER BY id)) d FROM users u UNION ALL SELECT 'repos', md5(string_agg(r::text, ',' ORDER BY id)) FROM repos r UNION ALL SELECT 'issues', md5(string_agg(i::text, ',' ORDER BY id)) FROM issues i) x");

beforeAll(async () => {
  for (const [c, settings] of [[source, "wal_level = logical"], [target, ""]] as const) {
    const started = new Cluster(c.name, await freePort(), c.server);
    Object.assign(c, { port: started.port });
    c.start(settings);
    clusters.push(c);
    c.sql("CREATE DATABASE shithub", "postgres");
    c.sql(SCHEMA);
  }
  // The live forge's history, before anything is prepared.
  source.sql("INSERT INTO users (username) SELECT 'user' || g FROM generate_series(1, 200) g");
  source.sql("INSERT INTO repos (owner_id, name) SELECT 1 + g % 200, 'repo' || g FROM generate_series(1, 500) g");
  source.sql("INSERT INTO issues (repo_id, title, body) SELECT 1 + g % 500, 'issue ' || g, repeat('x', g % 300) FROM generate_series(1, 2000) g");
  // Two majors, the live one the newer, as Ubuntu 24.04's 16 onto Debian 12's 15.
  expect([Number(source.sql("SHOW server_version_num")) / 10_000 | 0, Number(target.sql("SHOW server_version_num")) / 10_000 | 0]).toEqual([OTHER.major, PG_MAJOR]);
  expect(OTHER.major).toBeGreaterThan(PG_MAJOR);
}, 900_000);

afterAll(() => {
  for (const c of clusters) c.stop();
  rmSync(base, { recursive: true, force: true });
}, 120_000);

describe("the takeover's database half, between two real clusters", () => {
  it("refuses to publish from a server without wal_level = logical, saying what to run", () => {
    const run = target.takeover(["source-prepare", "127.0.0.1/32"], `${scramSha256Verifier(password, randomBytes(16))}\n`);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("wal_level is replica, logical replication needs logical: run ALTER SYSTEM SET wal_level = logical");
  });

  it("refuses a password where the verifier belongs: the source never sees the password", () => {
    expect(source.takeover(["source-prepare", "127.0.0.1/32"], `${password}\n`)).toMatchObject({ code: 2, stderr: expect.stringContaining("no SCRAM-SHA-256 verifier") });
  });

  it("publishes every table but the migration ledger, and admits only the subscriber's range", () => {
    const run = source.takeover(["source-prepare", "127.0.0.1/32"], `${scramSha256Verifier(password, randomBytes(16))}\n`);
    expect(run).toMatchObject({ code: 0, stdout: "published 3 tables to 127.0.0.1/32" });
    expect(source.sql("SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'shithub_takeover'")).toBe("issues repos users");
    // From loopback (npm run takeover's SSH tunnel, the encryption already) plain host; from any other range, hostssl only.
    expect(source.sql("SELECT count(*) FROM pg_hba_file_rules WHERE 'shithub_takeover' = ANY(user_name) AND type = 'host' AND address = '127.0.0.1' AND auth_method = 'scram-sha-256'", "postgres")).toBe("1");
    // Idempotent: a second run changes nothing.
    expect(source.takeover(["source-prepare", "127.0.0.1/32"], `${scramSha256Verifier(password, randomBytes(16))}\n`).code).toBe(0);
    expect(readFileSync(source.sql("SHOW hba_file"), "utf8").match(/# shithub-takeover/g)).toHaveLength(1);
    expect(source.takeover(["source-prepare", "192.0.2.0/24"], `${scramSha256Verifier(password, randomBytes(16))}\n`).code).toBe(0);
    expect(source.sql("SELECT type FROM pg_hba_file_rules WHERE 'shithub_takeover' = ANY(user_name) AND address = '192.0.2.0'", "postgres")).toBe("hostssl");
    expect(source.takeover(["source-finish", "192.0.2.0/24"]).code).toBe(0);
    expect(source.takeover(["source-prepare", "127.0.0.1/32"], `${scramSha256Verifier(password, randomBytes(16))}\n`).code).toBe(0);
  });

  it("subscribes and copies every table while the live forge keeps writing", () => {
    expect(target.takeover(["target-subscribe", "127.0.0.1", String(source.port)], `${password}\n`)).toMatchObject({ code: 0 });
    source.sql("INSERT INTO users (username) VALUES ('during-copy')");
    expect(target.takeover(["target-ready", "120"])).toMatchObject({ code: 0, stdout: "every table copied" });
    // The passfile is postgres's alone; the password is in no catalog the target's users read.
    expect(spawnSync("stat", ["-c", "%U %a", join(base, "stack.pgpass")], { encoding: "utf8" }).stdout.trim()).toBe("postgres 600");
    expect(target.sql("SELECT subconninfo FROM pg_subscription")).not.toContain(password);
  }, 180_000);

  it("in the window: once caught up, with the sequences copied, every row of every table is equal, and new rows take new ids", () => {
    // The last writes before the window: an insert, an update, a delete.
    source.sql("INSERT INTO issues (repo_id, title) VALUES (1, 'the last write')");
    source.sql("UPDATE users SET username = 'renamed' WHERE id = 7");
    source.sql("DELETE FROM issues WHERE id = 3");
    expect(source.takeover(["source-caught-up", "120"])).toMatchObject({ code: 0 });
    const sequences = source.takeover(["sequences"]);
    expect(sequences.code).toBe(0);
    expect(sequences.stdout.split("\n")).toHaveLength(4); // goose's, users', repos' and issues'
    expect(target.takeover(["target-sequences"], `${sequences.stdout}\n`)).toMatchObject({ code: 0, stdout: "4 sequences set" });

    const counts = source.takeover(["counts"]);
    expect(counts.stdout).toBe("issues\t2000\nrepos\t500\nusers\t201");
    expect(target.takeover(["counts"]).stdout).toBe(counts.stdout);
    expect(digests(target)).toBe(digests(source));
    // The ledgers are each side's own, never copied.
    expect(target.sql("SELECT count(*) FROM goose_db_version")).toBe("3");

    expect(target.takeover(["target-finish"])).toMatchObject({ code: 0 });
    const next = target.sql("INSERT INTO issues (repo_id, title) VALUES (1, 'first on the stack') RETURNING id");
    expect(Number(next)).toBeGreaterThan(Number(source.sql("SELECT max(id) FROM issues")));
  }, 180_000);

  it("a sequence line that is not a setval is refused: nothing else is run on the target", () => {
    expect(target.takeover(["target-sequences"], "SELECT setval('public.users_id_seq', 5, true);\nDROP TABLE users;\n")).toMatchObject({ code: 2 });
    expect(target.sql("SELECT count(*) FROM users")).toBe("201");
  });

  it("takes everything down: no publication, slot, role or pg_hba line is left on the live forge", () => {
    expect(source.takeover(["source-finish", "127.0.0.1/32"])).toMatchObject({ code: 0 });
    expect(source.sql("SELECT (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_roles WHERE rolname = 'shithub_takeover')")).toBe("0");
    expect(readFileSync(source.sql("SHOW hba_file"), "utf8")).not.toContain("shithub-takeover");
    expect(target.sql("SELECT count(*) FROM pg_subscription")).toBe("0");
  });
});

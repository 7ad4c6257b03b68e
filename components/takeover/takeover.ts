import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scramSha256Verifier } from "../roles/scram";
import { StepClock } from "../hosts/stepClock";
import type { Timed } from "../hosts/stepClock";

/**
 * The takeover of a live forge (docs/runbooks/takeover.md) as steps on three hosts: the live box
 * (`source`), the stack's app host and its db host (the same host on a one-droplet stack). Each
 * step is one of the three scripts in templates/takeover, installed on the hosts first and run as
 * root; what one step prints (a public key, a host key, the sequences) is the next one's stdin.
 */

export type Where = "source" | "app" | "db";

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` as root on a host, with `input` on its stdin. */
export type Remote = (where: Where, command: string, input?: string) => Promise<Ran>;

export interface TakeoverHosts {
  /** Addresses as each other sees them: the live box's public one, the stack hosts' public ones. */
  readonly source: string;
  readonly app: string;
  readonly db: string;
}


export class TakeoverError extends Error {}

const SCRIPTS = { db: "shithub-takeover-db", source: "shithub-takeover-source", host: "shithub-takeover-host" } as const;
const SCRIPT_DIR = join(__dirname, "..", "..", "templates", "takeover");
const BIN = "/usr/local/sbin";
/** Which scripts each host runs. */
const INSTALL: Readonly<Record<Where, ReadonlyArray<keyof typeof SCRIPTS>>> = { source: ["db", "source", "host"], app: ["host"], db: ["db", "host"] };
/** The subscriber reaches the live box's PostgreSQL through the db host's SSH tunnel. */
const TUNNEL = { host: "127.0.0.1", port: 15432, cidr: "127.0.0.1/32" } as const;

/** The stack's schema, made by the release's own migrations with the web's environment, as the web unit's ExecStartPre would. */
const MIGRATE_UP = "systemd-run --quiet --wait --pipe --collect -p User=shithub -p Group=shithub -p EnvironmentFile=/etc/shithub/web.env /usr/local/bin/shithubd migrate up";
const LEDGER = "runuser -u postgres -- psql -X -At -d shithub -c 'SELECT coalesce(max(version_id), 0) FROM goose_db_version'";

export class Takeover {
  private readonly clock: StepClock;

  constructor(private readonly remote: Remote, private readonly hosts: TakeoverHosts, private readonly log: (line: string) => void) {
    this.clock = new StepClock(log);
  }

  get timings(): readonly Timed[] {
    return this.clock.timings;
  }

  private async must(where: Where, command: string, input?: string): Promise<string> {
    const r = await this.remote(where, command, input);
    if (r.status !== 0) throw new TakeoverError(`on the ${where} host (${this.hosts[where]}), ${command.split(" ").slice(0, 2).join(" ")} failed (exit ${r.status}):\n${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout.trim();
  }


  private script(name: keyof typeof SCRIPTS, args: string): string {
    return `${BIN}/${SCRIPTS[name]} ${args}`;
  }

  /** The scripts onto every host, root's alone. */
  async install(): Promise<void> {
    await this.clock.timed("install the takeover scripts", () => Promise.all((Object.keys(INSTALL) as Where[]).flatMap((where) => INSTALL[where].map((name) =>
      this.must(where, `install -m 0700 -o root -g root /dev/stdin ${BIN}/${SCRIPTS[name]}`, readFileSync(join(SCRIPT_DIR, `${SCRIPTS[name]}.sh`), "utf8"))))));
  }

  /** `what`'s key on the stack host `where`, let into the live box for that one thing. */
  private async link(where: "app" | "db", what: "tunnel" | "copy"): Promise<void> {
    const key = await this.must(where, this.script("host", `key ${what}`));
    await this.must("source", this.script("source", `authorize ${what} ${this.hosts[where]}`), `${key}\n`);
    const hostKey = await this.must("source", this.script("source", "host-key"));
    await this.must(where, this.script("host", `trust ${this.hosts.source}`), `${hostKey}\n`);
  }

  /**
   * Before the window, while the live forge serves: its database replicating into the stack's,
   * its repositories copied and checked. Run it again to pick up where it stopped.
   */
  async prepare(): Promise<void> {
    await this.install();
    const logical = await this.clock.timed("the live database: logical WAL", () => this.must("source", this.script("db", "source-logical")));
    if (logical.includes("restarted")) this.log("  (the live box's PostgreSQL restarted once for wal_level = logical)");
    await this.clock.timed("the tunnel from the db host to the live database", async () => {
      await this.link("db", "tunnel");
      await this.must("db", this.script("host", `tunnel-up ${this.hosts.source}`));
    });
    await this.clock.timed("the stack's schema (shithubd migrate up)", () => this.must("app", MIGRATE_UP));
    const [theirs, ours] = await Promise.all([this.must("source", LEDGER), this.must("db", LEDGER)]);
    if (theirs !== ours) {
      throw new TakeoverError(`the live box's schema is at migration ${theirs}, the stack's at ${ours}: set the stack's shithubd:version to the version the live box runs, pulumi up, and run prepare again`);
    }
    await this.clock.timed("the subscription and the first copy of every table", async () => {
      const password = randomBytes(24).toString("base64url");
      await this.must("source", this.script("db", `source-prepare ${TUNNEL.cidr}`), `${scramSha256Verifier(password, randomBytes(16))}\n`);
      await this.must("db", this.script("db", `target-subscribe ${TUNNEL.host} ${TUNNEL.port}`), `${password}\n`);
      await this.must("db", this.script("db", "target-ready 86400"));
    });
    await this.clock.timed("the first copy of the repositories", async () => {
      await this.link("app", "copy");
      await this.must("app", this.script("host", `copy ${this.hosts.source}`));
    });
    await this.clock.timed("git fsck of every repository", () => this.must("app", this.script("host", "fsck --all")));
  }

  /** Another copy of the repositories' changes, before the window: it makes the window's shorter. */
  async sync(): Promise<string[]> {
    const changed = await this.clock.timed("the repositories' changes", () => this.must("app", this.script("host", `copy ${this.hosts.source}`)));
    const repos = changed === "" ? [] : changed.split("\n");
    await this.clock.timed(`git fsck of ${repos.length} changed repositories`, () => this.must("app", this.script("host", "fsck"), `${repos.join("\n")}\n`));
    return repos;
  }

  /**
   * The window: the live forge stops taking writes, the last changes arrive, and every row and
   * ref is compared. When anything fails or differs, the live forge comes back out of the window
   * with every write it took, and the error says what. Returns the window's length.
   */
  async window(retryAfterSeconds: number): Promise<number> {
    const started = process.hrtime.bigint();
    await this.clock.timed("the live forge stops taking writes", () => this.must("source", this.script("source", `window-start ${retryAfterSeconds}`)));
    try {
      // Nothing writes any more: the sequences are final too, read beside the last changes.
      const [, changed, sequences] = await this.clock.timed("the last changes: database caught up, repositories copied, sequences read", () => Promise.all([
        this.must("source", this.script("db", "source-caught-up 600")),
        this.must("app", this.script("host", `copy ${this.hosts.source}`)),
        this.must("source", this.script("db", "sequences")),
      ]));
      await this.clock.timed("the sequences set", () => this.must("db", this.script("db", "target-sequences"), `${sequences}\n`));
      const repos = changed === "" ? [] : changed.split("\n");
      const [theirCounts, ourCounts, theirRefs, ourRefs] = await this.clock.timed(`the checks: rows, refs, git fsck of ${repos.length} changed repositories`, () => Promise.all([
        this.must("source", this.script("db", "counts")),
        this.must("db", this.script("db", "counts")),
        this.must("source", this.script("host", "refs")),
        this.must("app", this.script("host", "refs")),
        this.must("app", this.script("host", "fsck"), `${repos.join("\n")}\n`),
      ]));
      const rows = differences(theirCounts, ourCounts);
      const refs = differences(theirRefs, ourRefs);
      if (rows.length + refs.length > 0) {
        throw new TakeoverError(["the copy differs from the live forge:", ...rows.map((d) => `  rows ${d}`), ...refs.map((d) => `  ref ${d}`)].join("\n"));
      }
    } catch (err) {
      this.log("the window failed: the live forge comes back out of it");
      await this.must("source", this.script("source", "window-abort"));
      throw err;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await this.clock.timed("the replication and the links taken down", () => this.finish());
    return seconds;
  }

  /** Subscription, publication, slot, role, keys, sshd block and tunnel: all gone. */
  private async finish(): Promise<void> {
    await this.must("db", this.script("db", "target-finish"));
    await this.must("source", this.script("db", `source-finish ${TUNNEL.cidr}`));
    await this.must("source", this.script("source", "deauthorize"));
    await Promise.all([this.must("db", this.script("host", "forget")), this.must("app", this.script("host", "forget"))]);
  }

  /** Back to before prepare: the live forge out of the window (when in it), and nothing of the takeover left on either side. */
  async abort(): Promise<void> {
    await this.install();
    const out = await this.remote("source", this.script("source", "window-abort"));
    if (out.status !== 0 && !out.stderr.includes("no window to abort")) throw new TakeoverError(`window-abort failed on the live box:\n${out.stderr.trim()}`);
    await this.clock.timed("the replication and the links taken down", () => this.finish());
  }

  /** After the switch: nothing of the old forge runs again. */
  async retire(): Promise<void> {
    await this.install();
    await this.clock.timed("the live box retired", () => this.must("source", this.script("source", "retire")));
  }
}

/** Lines only one side has, each marked with the side: `live: …` or `stack: …`. */
export function differences(live: string, stack: string): string[] {
  const a = new Set(live.split("\n").filter((l) => l !== ""));
  const b = new Set(stack.split("\n").filter((l) => l !== ""));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `live: ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `stack: ${l}`)];
}

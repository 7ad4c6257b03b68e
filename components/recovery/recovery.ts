import type { Ran } from "../takeover/takeover";
import { StepClock } from "../hosts/stepClock";

/**
 * The data half of a recovery (docs/runbooks/recover-an-environment.md), on a stack converged
 * held with shithubd:recovery: the db host's cluster from the lost environment's base backup and
 * WAL, and at once the app host's repositories from its restic snapshot, then shithubd's objects.
 * Each part is one script the recovery role put on its host (components/roles/recovery.ts).
 */

export type RecoveryHost = "app" | "db";
export type RecoveryRemote = (where: RecoveryHost, command: string, input?: string) => Promise<Ran>;

export class RecoveryError extends Error {}

/** The commands that hold `stack` for a recovery: what every refusal of an unheld stack gives as its fix. */
export function holdCommand(stack: string): string {
  return `pulumi config set shithubd:recovery '{"from":"dr","region":"<the DR region>"}' -s ${stack} && pulumi up -s ${stack}`;
}

/** What came back, and how long each part took. */
export interface RecoveryReport {
  /** The commit time of the last transaction replayed (ISO, UTC); null when the base backup alone came back. */
  readonly lastTransaction: string | null;
  readonly repositories: { readonly snapshot: string; readonly taken: string; readonly count: number };
  readonly objects: number;
  /** Rows per table of the recovered database. */
  readonly rows: Readonly<Record<string, number>>;
  readonly timings: ReadonlyArray<{ readonly step: string; readonly seconds: number }>;
  readonly seconds: number;
}

const BIN = "/usr/local/bin";
/** Every table's rows, in one query (the set of tables is the release's, not known here). */
export const ROW_COUNTS_SQL = "SELECT table_name || ' ' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text " +
  "FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name";
const ROW_COUNTS = `runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d shithub -c "${ROW_COUNTS_SQL}"`;
/** The tools a held stack's hosts have: without them, the stack was not converged with shithubd:recovery. */
const TOOLS: Readonly<Record<RecoveryHost, string>> = {
  db: `test -x ${BIN}/shithub-recover-db && test -r /etc/shithub-recovery/db.env`,
  app: `test -x ${BIN}/shithub-recover-repos && test -x ${BIN}/shithub-recover-objects && test -r /etc/shithub-recovery/app.env`,
};

/** `key=value` words of a script's last line. */
export function fieldsOf(line: string): Record<string, string> {
  return Object.fromEntries(line.trim().split(/\s+/).filter((w) => w.includes("=")).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
}

export class Recovery {
  private readonly clock: StepClock;

  constructor(private readonly remote: RecoveryRemote, private readonly hosts: Readonly<Record<RecoveryHost, string>>, log: (line: string) => void) {
    this.clock = new StepClock(log);
  }

  private async must(where: RecoveryHost, command: string, input?: string): Promise<string> {
    const r = await this.remote(where, command, input);
    if (r.status !== 0) {
      const name = command.split(" ")[0]!.replace(`${BIN}/`, "");
      throw new RecoveryError(`on the ${where} host (${this.hosts[where]}), ${name} failed (exit ${r.status}):\n${r.stderr.trim() || r.stdout.trim()}`);
    }
    return r.stdout.trim();
  }

  /** Everything back, with `identity` (an age identity of one of the recipients) sent to the db host's restore only. */
  async run(identity: string, stack: string): Promise<RecoveryReport> {
    const started = process.hrtime.bigint();
    for (const where of ["db", "app"] as const) {
      const r = await this.remote(where, TOOLS[where]);
      if (r.status !== 0) {
        throw new RecoveryError(`the ${where} host (${this.hosts[where]}) has no recovery tools: the stack was not converged held. Fix: ${holdCommand(stack)}`);
      }
    }
    const [replayed, repos, objects] = await Promise.all([
      this.clock.timed("the database: base backup and WAL replayed", () => this.must("db", `${BIN}/shithub-recover-db`, identity)),
      this.clock.timed("the repositories: restic restore, refs as recorded, git fsck", () => this.must("app", `${BIN}/shithub-recover-repos`)),
      this.clock.timed("shithubd's objects", () => this.must("app", `${BIN}/shithub-recover-objects`)),
    ]);
    const rows = await this.clock.timed("the rows counted", () => this.must("db", ROW_COUNTS));
    const fields = fieldsOf(repos.split("\n").pop() ?? "");
    return {
      lastTransaction: replayed.split("\n").pop()?.trim() || null,
      repositories: { snapshot: fields.snapshot ?? "", taken: fields.taken ?? "", count: Number(fields.repositories ?? "0") },
      objects: Number(objects.split("\n").pop() ?? "0"),
      rows: Object.fromEntries(rows.split("\n").filter((l) => l !== "").map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])])),
      timings: this.clock.timings,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  }
}

// npm run ops -- <verb> --stack <name>: day-2 operations over SSH with the stack's deploy key,
// each host verified against the key its steps pin (docs/explanation/operations.md,
// docs/runbooks/day-2-operations.md).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseAuditLog, renderAudit } from "../components/ops/audit";
import { parseDrift, renderDrift } from "../components/ops/driftReport";
import { needsAPerson, parseHostStatus, renderHostStatus } from "../components/ops/hostStatus";
import { formatJournalLine } from "../components/ops/journal";
import { HostsError, parseHostsOutput, selectHosts } from "../components/ops/opsHosts";
import type { OpsHost } from "../components/ops/opsHosts";
import { opsSsh } from "../components/ops/opsSsh";
import type { OpsSsh, Ran } from "../components/ops/opsSsh";
import { AUDIT_COMMAND, DRIFT_COMMAND, execCommand, logsCommand, maintenanceCommand, STATUS_COMMAND } from "../components/ops/remoteCommands";
import { EXIT, optional, Refusal, required, runCommand, STACK_OPTION, UsageError } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const OPS_COMMAND: CommandSpec = {
  script: "ops",
  summary: "day-2 operations on a stack's hosts over SSH, with its deploy key and pinned host keys (docs/runbooks/day-2-operations.md)",
  synopsis: [
    "status --stack <name> [--host <host>] [--json]",
    "logs --stack <name> [--host <host>] [--unit <unit,…>] [--since <time> | --lines <n>] [-f]",
    "exec --stack <name> [--host <app host>] [-i] -- <shithubd arguments>",
    "maintenance on|off|show --stack <name> [--message <text>]",
    "drift --stack <name> [--host <host>]",
    "audit --stack <name> [--host <app host>]",
  ],
  verbs: {
    status: "per host: roles, release, units, maintenance, newest backups, certificate, drift, firing alerts; exit 1 when something needs a person",
    logs: "the journal of shithub's units (or --unit), shithubd's JSON lines readable; -f follows",
    exec: "a one-off shithubd command as shithub, with the web unit's environment file and sandbox (secrets never on a command line)",
    maintenance: "on: writes and pushes refused with the message (503 + Retry-After over HTTPS, a refusal over SSH), reads and clones go on; off; show",
    drift: "every file the program owns against what its steps recorded: changed, missing, and extra files where it owns the place",
    audit: "each app host's release records: when, version, commit, who",
  },
  verbArgs: { maintenance: { words: 1 }, exec: { words: 0, passThrough: true } },
  options: {
    stack: STACK_OPTION,
    host: { type: "string", value: "<host>", help: "only this host (a name from the hosts output)" },
    unit: { type: "string", value: "<unit,…>", help: "logs: these units, globs allowed (default: shithub*)" },
    since: { type: "string", value: "<time>", help: "logs: from this time, as journalctl reads it (--since=-30min with the =, today, '2026-01-02 03:04'; default: the last hour, unless --lines)" },
    lines: { type: "string", short: "n", value: "<n>", help: "logs: the newest n entries of each host (1-100000), however old; not with --since" },
    follow: { type: "boolean", short: "f", default: false, help: "logs: keep printing new entries" },
    interactive: { type: "boolean", short: "i", default: false, help: "exec: pass stdin to shithubd" },
    message: { type: "string", value: "<text>", help: "maintenance on: what users are told (one line; default: read-only for maintenance)" },
    json: { type: "boolean", default: false, help: "status: print JSON" },
    hosts: { type: "string", value: "<file>", help: "the hosts output as JSON (default: pulumi stack output hosts --json)" },
    key: { type: "string", value: "<file>", help: "the stack's deploy key (default: pulumi config get shithubd:sshPrivateKey)" },
  },
  env: { SHITHUB_SSH: "the ssh command (default: ssh); its key, known hosts and agent options are always this command's own" },
  exits: {
    [EXIT.ok]: "done; status: nothing needs a person; drift: none",
    [EXIT.fail]: "status: something needs a person; drift: found; a host unreachable; exec: shithubd's own failure; a refusal",
    [EXIT.usage]: "the command line is wrong",
  },
};

/** Output of `pulumi <args>` for the stack, or a refusal that says what to run instead. */
function pulumi(args: readonly string[], what: string, instead: string): string {
  const r = spawnSync("pulumi", [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error !== undefined || r.status !== 0) {
    throw new Refusal(`could not read ${what} (pulumi ${args.join(" ")}: ${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)}). ` +
      `Log in to the stack's backend (pulumi login) and run this again, or ${instead}`);
  }
  return r.stdout;
}

function readFile(file: string, option: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Refusal(`--${option} ${file}: ${(err as Error).message}`);
  }
}

/** A host ssh did not run the command on, with what to check. */
function unreachable(stack: string, host: OpsHost, r: Ran): string {
  const last = r.stderr.trim().split("\n").slice(-1)[0] ?? "";
  const hint = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(r.stderr)
    ? `its host key is not the one stack ${stack} pins for it (pulumi stack output hosts --json -s ${stack}): a host this stack did not make, or one rebuilt outside it`
    : /Permission denied/.test(r.stderr)
      ? `root takes only the stack's deploy key (pulumi config get shithubd:sshPrivateKey -s ${stack})`
      : `root logs in from shithubd:adminCidrs only: is this machine's address in it? (pulumi config get shithubd:adminCidrs -s ${stack})`;
  return `${host.name}: unreachable or refused (ssh exit ${r.status}: ${last}); ${hint}`;
}

async function status(stack: string, ssh: OpsSsh, hosts: readonly OpsHost[], json: boolean): Promise<number> {
  const results = await Promise.all(hosts.map(async (h) => ({ h, r: await ssh.run(h, STATUS_COMMAND) })));
  let code: number = EXIT.ok;
  const report = results.map(({ h, r }) => {
    if (r.status !== 0) {
      code = EXIT.fail;
      return { host: h.name, error: unreachable(stack, h, r) };
    }
    const s = parseHostStatus(h.name, r.stdout);
    const problems = needsAPerson(s);
    if (problems.length > 0) code = EXIT.fail;
    return { ...s, needsAPerson: problems };
  });
  if (json) process.stdout.write(`${JSON.stringify({ needsAPerson: code !== EXIT.ok, hosts: report }, null, 2)}\n`);
  else {
    for (const entry of report) process.stdout.write("error" in entry ? `${entry.error}\n  NEEDS A PERSON: the host did not answer\n` : renderHostStatus(entry));
    process.stdout.write(code === EXIT.ok ? "nothing needs a person\n" : "something needs a person (above)\n");
  }
  return code;
}

async function logs(stack: string, ssh: OpsSsh, hosts: readonly OpsHost[], units: readonly string[], from: Parameters<typeof logsCommand>[1], follow: boolean): Promise<number> {
  const command = logsCommand(units, from, follow);
  const results = await Promise.all(hosts.map((h) => ssh.run(h, command, {
    onLine: (line) => {
      const text = formatJournalLine(h.name, line);
      if (text !== undefined) process.stdout.write(`${text}\n`);
    },
  }).then((r) => ({ h, r }))));
  const failed = results.filter(({ r }) => r.status !== 0);
  for (const { h, r } of failed) process.stderr.write(`${unreachable(stack, h, r)}\n`);
  return failed.length === 0 ? EXIT.ok : EXIT.fail;
}

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const verb = parsed.verb!;
  const host = optional(parsed, "host");
  // The command line first: a wrong one reads no output and touches no host.
  if (verb === "exec" && (parsed.passed ?? []).length === 0) throw new UsageError("exec needs shithubd's arguments after --, e.g. npm run ops -- exec --stack staging -- admin --help");
  const state = parsed.words?.[0];
  const message = optional(parsed, "message");
  if (verb === "maintenance") {
    if (state !== "on" && state !== "off" && state !== "show") throw new UsageError("maintenance takes on, off or show");
    if (message !== undefined && state !== "on") throw new UsageError("--message goes with maintenance on");
    // eslint-disable-next-line no-control-regex
    if (message !== undefined && (/[\u0000-\u001f\u007f]/.test(message) || message.trim() === "")) throw new UsageError("--message is one line of text");
  } else if (message !== undefined) throw new UsageError("--message goes with maintenance on");
  const linesText = optional(parsed, "lines");
  if (linesText !== undefined && verb !== "logs") throw new UsageError("--lines goes with logs");
  const lines = linesText === undefined ? undefined : Number(linesText);
  if (lines !== undefined && !(/^[0-9]+$/.test(linesText!) && lines >= 1 && lines <= 100_000)) throw new UsageError(`--lines takes a whole number of entries from 1 to 100000, not ${JSON.stringify(linesText)}`);
  // journalctl counts --lines from --since when it has both: the oldest entries, not the newest.
  if (lines !== undefined && optional(parsed, "since") !== undefined) throw new UsageError("--lines takes the newest entries, --since those from a time: give one of them");
  const hostsText = optional(parsed, "hosts") !== undefined ? readFile(optional(parsed, "hosts")!, "hosts") : pulumi(["stack", "output", "hosts", "--json", "--stack", stack], `stack ${stack}'s hosts`,
    `give them as a file: pulumi stack output hosts --json -s ${stack} > hosts.json, then --hosts hosts.json`);
  let all: OpsHost[];
  try {
    all = parseHostsOutput(stack, hostsText);
  } catch (err) {
    if (err instanceof HostsError) throw new Refusal(err.message);
    throw err;
  }
  const pick = (roles?: readonly string[]): OpsHost[] => {
    try {
      return selectHosts(all, host, roles);
    } catch (err) {
      if (err instanceof HostsError) throw new UsageError(err.message);
      throw err;
    }
  };
  // Checked before any connection: a wrong command line touches no host.
  let targets: OpsHost[];
  let remote: string | undefined;
  switch (verb) {
    case "status":
    case "drift":
    case "logs":
      targets = pick();
      break;
    case "audit":
      targets = pick(["app"]);
      break;
    case "exec":
      targets = pick(["app"]).slice(0, 1);
      remote = execCommand(parsed.passed ?? [], parsed.values.interactive === true);
      break;
    case "maintenance":
      targets = pick(["app"]);
      remote = maintenanceCommand(state as "on" | "off" | "show", message);
      break;
    default:
      throw new UsageError(`unknown verb ${verb}`);
  }
  const key = optional(parsed, "key") !== undefined ? readFile(optional(parsed, "key")!, "key") : pulumi(["config", "get", "shithubd:sshPrivateKey", "--stack", stack], `stack ${stack}'s deploy key`,
    `give it as a file only you read: (umask 077; pulumi config get shithubd:sshPrivateKey -s ${stack} > deploy-key), then --key deploy-key`);
  const ssh = opsSsh(all, key, (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== ""));
  try {
    switch (verb) {
      case "status":
        return await status(stack, ssh, targets, parsed.values.json === true);
      case "logs": {
        const units = (optional(parsed, "unit") ?? "shithub*").split(",").map((u) => u.trim()).filter((u) => u !== "");
        return await logs(stack, ssh, targets, units, lines !== undefined ? { lines } : { since: optional(parsed, "since") ?? "-1h" }, parsed.values.follow === true);
      }
      case "exec": {
        const r = await ssh.run(targets[0]!, remote!, { passThrough: true, ...(parsed.values.interactive === true ? { input: process.stdin } : {}) });
        return r.status === 255 ? (process.stderr.write(`${unreachable(stack, targets[0]!, r)}\n`), EXIT.fail) : r.status;
      }
      case "maintenance": {
        const results = await Promise.all(targets.map(async (h) => ({ h, r: await ssh.run(h, remote!) })));
        let code: number = EXIT.ok;
        for (const { h, r } of results) {
          if (r.status !== 0) {
            code = EXIT.fail;
            process.stderr.write(`${unreachable(stack, h, r)}\n`);
            continue;
          }
          const [, state, since, ...message] = r.stdout.trim().split("\t");
          process.stdout.write(`${h.name}: maintenance ${state === "on" ? `ON since ${since}: ${message.join(" ")}` : "off"}\n`);
        }
        return code;
      }
      case "drift": {
        const results = await Promise.all(targets.map(async (h) => ({ h, r: await ssh.run(h, DRIFT_COMMAND) })));
        let code: number = EXIT.ok;
        for (const { h, r } of results) {
          if (r.status > 2) {
            code = EXIT.fail;
            process.stderr.write(`${unreachable(stack, h, r)}\n`);
            continue;
          }
          const d = parseDrift(h.name, r.stdout);
          if (d.findings.length > 0 || d.checked === undefined || d.checked.steps === 0) code = EXIT.fail;
          process.stdout.write(renderDrift(d));
        }
        process.stdout.write(code === EXIT.ok ? "no drift\n" : "drift found (above). Cloud resources: pulumi refresh --preview-only -s " + stack + "\n");
        return code;
      }
      case "audit": {
        const results = await Promise.all(targets.map(async (h) => ({ h, r: await ssh.run(h, AUDIT_COMMAND) })));
        const failed = results.filter(({ r }) => r.status !== 0);
        for (const { h, r } of failed) process.stderr.write(`${unreachable(stack, h, r)}\n`);
        process.stdout.write(renderAudit(results.filter(({ r }) => r.status === 0).flatMap(({ h, r }) => parseAuditLog(h.name, r.stdout))));
        return failed.length === 0 ? EXIT.ok : EXIT.fail;
      }
      default:
        throw new UsageError(`unknown verb ${verb}`);
    }
  } finally {
    ssh.close();
  }
}

if (require.main === module) runCommand(OPS_COMMAND, main);

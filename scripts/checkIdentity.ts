// npm run backup:check-identity -- --stack S --identity FILE [--host ADDRESS]: an operator proves,
// with their offline age identity, that it still opens the stack's backups
// (docs/runbooks/check-backup-identity.md). The identity is read here only: the sealed canary
// comes from the host that dumps over SSH, is opened here with age, and only the recipient and the
// digest of what it read go back, to be recorded there as a metric.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { recipientOf } from "../components/backups/ageKeys";
import { StackFileError, loadStackFile } from "../offline/stackFile";
import { DIR_OPTION, EXIT, optional, Refusal, required, runCommand, STACK_OPTION } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const CHECK_IDENTITY_COMMAND: CommandSpec = {
  script: "backup:check-identity",
  summary: "prove that your offline age identity still opens the stack's backups: it opens the identity canary sealed to every recipient, and the proof is recorded on the host that dumps (docs/runbooks/check-backup-identity.md)",
  synopsis: ["--stack <name> --identity <file> [--host <address>] [--dir <dir>]"],
  options: {
    stack: STACK_OPTION,
    identity: { type: "string", short: "i", value: "<file>", help: "your age identity (the file age-keygen wrote): read on this machine only, never sent" },
    host: { type: "string", value: "<address>", help: "the public address of the host that dumps: the backup host, or the db host without one (default: from pulumi stack output hosts)" },
    dir: DIR_OPTION,
  },
  env: {
    SHITHUB_SSH: "the ssh command that reaches the host as root (default: ssh); its known_hosts must pin the host",
    SHITHUB_AGE: "the age command that opens the canary (default: age)",
  },
  exits: {
    [EXIT.ok]: "the identity opened the canary; the proof (its recipient, now) is recorded on the host",
    [EXIT.fail]: "the identity is not one of the recipients, or the canary could not be fetched or opened, or the proof not recorded: nothing was recorded",
    [EXIT.usage]: "the command line is wrong",
  },
};

/** The canary's text begins so (templates/scripts/shithub-backup-canary.sh). */
const CANARY_HEAD = /^shithub backup canary\nsealed (\S+)\n/;

interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const lastLine = (text: string) => text.trim().split("\n").pop() ?? "";

function run(argv: readonly string[], input?: string): Ran {
  const r = spawnSync(argv[0]!, argv.slice(1), { input: input ?? "", encoding: "utf8", timeout: 300_000 });
  if (r.error !== undefined) return { status: 255, stdout: "", stderr: `cannot run ${argv[0]}: ${r.error.message}` };
  return { status: r.status ?? 255, stdout: r.stdout, stderr: r.stderr };
}

const words = (text: string) => text.split(/\s+/).filter((a) => a !== "");

/** The stack's operator recipients, when its stack file lists them (they may be set elsewhere). */
export function listedRecipients(values: Readonly<Record<string, string>>): string[] | undefined {
  const text = values["shithubd:backupRecipients"];
  if (text === undefined) return undefined;
  try {
    const list = JSON.parse(text) as unknown;
    return Array.isArray(list) ? list.filter((r): r is string => typeof r === "string").map((r) => r.trim().toLowerCase()) : undefined;
  } catch {
    return undefined;
  }
}

/** The public address of the host that dumps, from `pulumi stack output hosts --json`: the backup host, else the db host. */
export function dumpHostAddress(hostsJson: string): string | undefined {
  const hosts = JSON.parse(hostsJson) as Record<string, { roles?: string[]; publicIpv4?: string }>;
  const all = Object.values(hosts);
  const host = all.find((h) => h.roles?.includes("backup")) ?? all.find((h) => h.roles?.includes("db"));
  return host?.publicIpv4;
}

function hostOf(stack: string): string {
  const r = run(["pulumi", "stack", "output", "hosts", "--json", "--stack", stack]);
  const address = r.status === 0 ? dumpHostAddress(r.stdout) : undefined;
  if (address === undefined) {
    throw new Refusal(`could not read the address of stack ${stack}'s host that dumps from pulumi stack output hosts (${lastLine(r.stderr) || "no backup or db host"}): give it with --host <address>`);
  }
  return address;
}

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const file = required(parsed, "identity");
  const dir = resolve(optional(parsed, "dir") ?? ".");

  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Refusal(`cannot read ${file}: ${(err as Error).message}`);
  }
  const recipient = recipientOf(text);
  if (recipient === undefined) throw new Refusal(`${file} holds no age identity (a line AGE-SECRET-KEY-1...): give the file age-keygen wrote. Nothing was recorded.`);

  // Offline first: an identity whose recipient the stack does not list opens none of its backups.
  let values: Record<string, string>;
  try {
    values = loadStackFile(dir, stack).values;
  } catch (err) {
    if (err instanceof StackFileError) throw new Refusal(err.message);
    throw err;
  }
  const listed = listedRecipients(values);
  if (listed !== undefined && !listed.includes(recipient)) {
    throw new Refusal(`the identity in ${file} (recipient ${recipient}) is not one of the recipients of stack ${stack} (shithubd:backupRecipients lists ${listed.length}): it opens none of its backups. Nothing was recorded.`);
  }

  const host = optional(parsed, "host") ?? hostOf(stack);
  const ssh = (command: string) => run([...words(process.env.SHITHUB_SSH ?? "ssh"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", `root@${host}`, command]);
  const fetched = ssh("shithub-backup-canary fetch");
  if (fetched.status !== 0) throw new Refusal(`could not fetch the identity canary from ${host}: ${lastLine(fetched.stderr)}. Nothing was recorded.`);
  const newline = fetched.stdout.indexOf("\n");
  const key = fetched.stdout.slice(0, newline);
  const sealed = fetched.stdout.slice(newline + 1);
  if (!/^canary\/canary-\d{8}T\d{6}Z\.txt\.age$/.test(key)) throw new Refusal(`${host} answered with no canary (first line: ${JSON.stringify(key.slice(0, 80))}). Nothing was recorded.`);

  // Opened here: the identity goes to the local age by its path and nowhere else.
  const age = run([...words(process.env.SHITHUB_AGE ?? "age"), "--decrypt", "--identity", file], sealed);
  if (age.status !== 0) {
    if (/no identity matched/i.test(age.stderr)) {
      throw new Refusal(`the identity in ${file} (recipient ${recipient}) is not one of the recipients ${key} on ${host} is sealed to: it does not open the backups. Nothing was recorded.`);
    }
    throw new Refusal(`age could not open ${key} from ${host} with ${file}: ${lastLine(age.stderr)}. Nothing was recorded.`);
  }
  const head = CANARY_HEAD.exec(age.stdout);
  if (head === null) throw new Refusal(`${key} from ${host} opened, but is not a canary (it does not begin "shithub backup canary"). Nothing was recorded.`);

  const digest = createHash("sha256").update(age.stdout, "utf8").digest("hex");
  const proved = ssh(`shithub-backup-canary prove ${key} ${recipient} ${digest}`);
  if (proved.status !== 0) throw new Refusal(`the identity opened ${key}, but ${host} did not record the proof: ${lastLine(proved.stderr)}`);
  process.stdout.write([
    `${recipient} opens the backups of stack ${stack}: ${file} opened ${key} (sealed ${head[1]}).`,
    `Recorded on ${host} at ${new Date().toISOString()} (shithub_backup_identity_proof_seconds{recipient="${recipient}"}).`,
    "",
  ].join("\n"));
  return EXIT.ok;
}

if (require.main === module) runCommand(CHECK_IDENTITY_COMMAND, main);

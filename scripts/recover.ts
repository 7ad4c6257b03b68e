// npm run recover: the data of a lost environment back onto a stack held for it (docs/runbooks/recover-an-environment.md).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { recipientOf } from "../components/backups/ageKeys";
import { holdCommand, Recovery, RecoveryError } from "../components/recovery/recovery";
import { parseJsonList } from "../components/config/problems";
import type { RecoveryReport } from "../components/recovery/recovery";
import { sshRemote } from "../components/takeover/sshRemote";
import { StackFileError, loadStackFile } from "../offline/stackFile";
import { DIR_OPTION, EXIT, optional, Refusal, required, runCommand, STACK_OPTION } from "./cli/command";
import type { CommandSpec, Parsed } from "./cli/command";

export const RECOVER_COMMAND: CommandSpec = {
  script: "recover",
  summary: "bring a lost environment's database, repositories and objects back onto a stack converged with shithubd:recovery (docs/runbooks/recover-an-environment.md)",
  synopsis: ["--stack <name> --identity <file> --app <address> [--db <address>] [--dir <dir>]"],
  options: {
    stack: STACK_OPTION,
    identity: { type: "string", value: "<file>", help: "an age identity of one of shithubd:backupRecipients (sent to the db host's restore only, on stdin; there, a root-only file on tmpfs deleted when it ends)" },
    app: { type: "string", value: "<address>", help: "the stack's app host's public address (pulumi stack output hosts)" },
    db: { type: "string", value: "<address>", help: "the stack's db host's public address (default: the app host's)" },
    dir: DIR_OPTION,
  },
  env: { SHITHUB_SSH: "the ssh command that reaches each host as root (default: ssh); its known_hosts must pin the hosts" },
  exits: {
    [EXIT.ok]: "everything came back: the report says what, and the command that starts shithubd",
    [EXIT.fail]: "a part failed or was refused (nothing replaced: the empty database and volume stay as they were, or beside the recovered ones)",
    [EXIT.usage]: "the command line is wrong",
  },
};

/** The stack is held for a recovery, and the identity opens what its recipients sealed. */
function checkInputs(dir: string, stack: string, identityFile: string): string {
  const { values, file } = loadStackFile(dir, stack);
  const held = values["shithubd:recovery"];
  if (held === undefined) {
    throw new Refusal(`stack ${stack}: shithubd:recovery is not set in ${file}, so its hosts are not held: a recovery would meet a running shithubd. ` +
      `Fix: ${holdCommand(stack)}`);
  }
  let identity: string;
  try {
    identity = readFileSync(identityFile, "utf8");
  } catch (err) {
    throw new Refusal(`--identity ${identityFile}: ${(err as Error).message}`);
  }
  const recipient = recipientOf(identity);
  if (recipient === undefined) throw new Refusal(`--identity ${identityFile} holds no age identity (AGE-SECRET-KEY-1…, as age-keygen writes it)`);
  const recipients = values["shithubd:backupRecipients"];
  // A malformed list is the preview's to refuse, with its fix; here only a listed identity is checked.
  const listed = recipients === undefined ? undefined : parseJsonList(recipients);
  if (listed !== undefined && !listed.includes(recipient)) {
    throw new Refusal(`--identity ${identityFile} is ${recipient}, which is not one of stack ${stack}'s shithubd:backupRecipients: it opens none of the backups`);
  }
  return identity;
}

export function reportText(stack: string, report: RecoveryReport): string {
  const rows = Object.entries(report.rows);
  return [
    `Recovered in ${report.seconds.toFixed(1)} s:`,
    `  database: to the transaction committed at ${report.lastTransaction ?? "(none after the base backup)"}; ${rows.length} tables, ${rows.reduce((n, [, c]) => n + c, 0)} rows`,
    ...rows.map(([table, count]) => `    ${table} ${count}`),
    `  repositories: ${report.repositories.count} from snapshot ${report.repositories.snapshot} taken ${report.repositories.taken} (pushes after it are not in it), git fsck clean, refs as recorded`,
    `  objects: ${report.objects}`,
    "Now start shithubd and the backups (docs/runbooks/recover-an-environment.md):",
    `  pulumi config rm shithubd:recovery -s ${stack} && pulumi up -s ${stack}`,
    "",
  ].join("\n");
}

async function main(parsed: Parsed): Promise<number> {
  const stack = required(parsed, "stack");
  const dir = resolve(optional(parsed, "dir") ?? ".");
  const identityFile = required(parsed, "identity");
  const app = required(parsed, "app");
  const hosts = { app, db: optional(parsed, "db") ?? app };
  try {
    const identity = checkInputs(dir, stack, identityFile);
    const ssh = (process.env.SHITHUB_SSH ?? "ssh").split(/\s+/).filter((a) => a !== "");
    const recovery = new Recovery(sshRemote(ssh, hosts), hosts, (line) => process.stderr.write(`recover: ${line}\n`));
    process.stdout.write(reportText(stack, await recovery.run(identity, stack)));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof StackFileError || err instanceof RecoveryError) throw new Refusal(err.message);
    throw err;
  }
}

if (require.main === module) runCommand(RECOVER_COMMAND, main);

import { BENCH_BACKUP_COMMAND } from "../benchBackup";
import { BENCH_COMMAND } from "../bench";
import { BENCH_RECOVERY_COMMAND } from "../benchRecovery";
import { BENCH_RELEASE_COMMAND } from "../benchRelease";
import { BENCH_TAKEOVER_COMMAND } from "../benchTakeover";
import { CANARY_COMMAND } from "../canary";
import { CHECK_IDENTITY_COMMAND } from "../checkIdentity";
import { DASHBOARD_COMMAND } from "../dashboard";
import { LINT_WORKFLOWS_COMMAND } from "../lintWorkflows";
import { OPS_COMMAND } from "../ops";
import { PLAN_COMMAND } from "../plan";
import { RECOVER_COMMAND } from "../recover";
import { TAKEOVER_COMMAND } from "../takeover";
import { helpText } from "./command";
import type { CommandSpec } from "./command";

/** Every npm script an operator runs, as package.json names them. */
export const COMMANDS: readonly CommandSpec[] = [
  PLAN_COMMAND, CANARY_COMMAND, OPS_COMMAND, TAKEOVER_COMMAND, RECOVER_COMMAND, DASHBOARD_COMMAND, LINT_WORKFLOWS_COMMAND,
  BENCH_COMMAND, BENCH_RELEASE_COMMAND, BENCH_BACKUP_COMMAND, BENCH_TAKEOVER_COMMAND, BENCH_RECOVERY_COMMAND,
  CHECK_IDENTITY_COMMAND,
];

/** docs/reference/commands.md: each command's --help, as it prints it. */
export function commandsReference(): string {
  return [
    "# Commands",
    "",
    "<!-- Generated from each command's own spec (scripts/cli/commands.ts) by `npm run docs:reference`; a test fails when it drifts. -->",
    "",
    "Every command takes `--help`, and `-s` for `--stack`. Exit codes mean the same everywhere: 0 done or pass, 1 a failure, a refusal or a fail verdict (the message says which and what to do), 2 no verdict yet, 64 a wrong command line, 70 a bug in this project. Hosts' addresses come from the stack's outputs: `pulumi stack output hosts`.",
    "",
    ...COMMANDS.flatMap((c) => [`## npm run ${c.script}`, "", "```text", helpText(c).trimEnd(), "```", ""]),
  ].join("\n");
}

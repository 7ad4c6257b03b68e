// npm run docs:reference: writes the references generated from the program's own tables.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandsReference } from "./cli/commands";
import { configReference } from "./cli/configReference";
import { outputsReference } from "./cli/outputsReference";
import { EXIT, runCommand } from "./cli/command";
import type { CommandSpec } from "./cli/command";

export const REFERENCES: Readonly<Record<string, () => string>> = {
  "docs/reference/commands.md": commandsReference,
  "docs/reference/config.md": configReference,
  "docs/reference/outputs.md": outputsReference,
};

export const DOCS_REFERENCE_COMMAND: CommandSpec = {
  script: "docs:reference",
  summary: "write docs/reference/ from the program's own tables (a test fails when they drift)",
  synopsis: [""],
  options: {},
  exits: { [EXIT.ok]: "written", [EXIT.usage]: "the command line is wrong" },
};

if (require.main === module) runCommand(DOCS_REFERENCE_COMMAND, () => {
  for (const [path, render] of Object.entries(REFERENCES)) {
    writeFileSync(join(__dirname, "..", path), render());
    console.log(`wrote ${path}`);
  }
  return EXIT.ok;
});

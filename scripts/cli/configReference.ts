import { CATALOGUE } from "../../components/config/catalogue";
import type { ValueType } from "../../components/config/catalogue";
import { LIST_KEY_DOCS, LIST_KEYS } from "../../components/config/hostsConfig";
import { PROJECT_KEYS, qualified } from "../../components/config/projectKeys";

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(t: ValueType): string {
  switch (t.kind) {
    case "int":
    case "float":
      return `${t.kind} ≥ ${t.min}${t.max !== undefined ? `, ≤ ${t.max}` : ""}`;
    case "url":
      return `URL (${t.schemes.join(", ")})`;
    case "enum":
      return `one of ${t.values.join(", ")}`;
    case "list":
      return `comma-separated ${t.item}s`;
    case "tomlOnly":
      return `not settable from the environment: ${t.why}`;
    default:
      return t.kind;
  }
}

/** docs/reference/config.md: every key a stack file may hold, from the program's own tables. */
export function configReference(): string {
  return [
    "# Configuration keys",
    "",
    "<!-- Generated from the program's own key tables (components/config/projectKeys.ts, hostsConfig.ts, catalogue.ts) by `npm run docs:reference`; a test fails when it drifts. -->",
    "",
    "Every key a stack file may hold. A key the program does not know is refused at preview, with a suggestion. How to add an environment variable: [add-an-env-var.md](../runbooks/add-an-env-var.md); what secrets are and how they are set: [configuration.md](../explanation/configuration.md).",
    "",
    "## Project keys",
    "",
    "| key | type | when unset | description |",
    "|---|---|---|---|",
    ...PROJECT_KEYS.map((k) => `| \`${qualified(k.name)}\` | ${k.type}${k.secret === true ? ", secret" : ""} | ${k.default !== undefined ? `\`${cell(k.default)}\`` : k.optional === true ? "off" : "**required**"} | ${cell(k.description)} e.g. \`${cell(k.example)}\` |`),
    "",
    "## Lists",
    "",
    "Set as YAML lists in the stack file, or with `pulumi config set --path 'shithubd:<key>[0]' <value>`.",
    "",
    "| key | holds |",
    "|---|---|",
    ...LIST_KEYS.map((k) => `| \`${qualified(k)}\` | ${cell(LIST_KEY_DOCS[k])} |`),
    "",
    "## shithubd's environment",
    "",
    "`shithubd:SHITHUB_*`: the variables shithubd reads (its config catalogue), written into its env files. Secret ones must be set with `--secret`. Scope: the env files that get it.",
    "",
    "| variable | type | scope | secret |",
    "|---|---|---|---|",
    ...[...CATALOGUE.values()].sort((a, b) => a.name.localeCompare(b.name)).map((e) => `| \`${e.name}\` | ${cell(typeOf(e.type))} | ${e.scope} | ${e.secret ? "yes" : ""} |`),
    "",
  ].join("\n");
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { TEMPLATES_DIR } from "../templates";

/** The env files shithub-infra writes on an app host. */
export const ENV_FILES = ["web", "worker"] as const;
export type EnvFileName = (typeof ENV_FILES)[number];

/** A variable the template writes unconditionally, optionally only from a given release on. */
export interface RequiredVar {
  readonly name: string;
  /** `1.9.0` for a variable inside `{{#since_v1_9_0}}`: required only from that release. */
  readonly since?: string;
}

/**
 * A variable inside `{{#SHITHUB_X}}...{{/SHITHUB_X}}`: written only when SHITHUB_X is set, and
 * then required (`when` is its own name for the usual one-line section).
 */
export interface OptionalVar {
  readonly name: string;
  readonly when: string;
}

export interface EnvTemplate {
  readonly file: EnvFileName;
  /** Template path relative to the project, for messages. */
  readonly path: string;
  readonly source: string;
  readonly required: readonly RequiredVar[];
  /** Variables written only when the variable of their section is set. */
  readonly optional: readonly OptionalVar[];
  /** Every release gate used, e.g. `since_v1_9_0`. */
  readonly gates: readonly string[];
}

type Token = [string, string, number, number, Token[]?];

const GATE = /^since_v(\d+)_(\d+)_(\d+)$/;
const ENV_NAME = /^SHITHUB_[A-Z0-9_]+$/;

/** `since_v1_9_0` -> `1.9.0`, or undefined when the name is not a release gate. */
export function gateVersion(gate: string): string | undefined {
  const m = GATE.exec(gate);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/**
 * Reads what a template requires from its own tags, so the template is the single place
 * where a release adds a variable. Throws on tags the renderer would not understand.
 */
export function analyseTemplate(file: EnvFileName, path: string, source: string): EnvTemplate {
  const required = new Map<string, RequiredVar>();
  const optional = new Map<string, OptionalVar>();
  const gates = new Set<string>();
  const fail = (why: string): never => {
    throw new Error(`${path}: ${why}`);
  };

  const walk = (tokens: Token[], section: string | undefined, since: string | undefined): void => {
    for (const [type, value, , , children] of tokens) {
      if (type === "text" || type === "!") continue;
      if (type === "name") fail(`{{${value}}} would HTML-escape the value; write {{{${value}}}}`);
      if (type === ">") fail(`partials are not supported ({{>${value}}})`);
      if (type === "&") {
        if (section === "extra" && value === "line") continue;
        if (!ENV_NAME.test(value)) fail(`{{{${value}}}} is not a SHITHUB_* variable`);
        if (section !== undefined && section !== "extra") optional.set(value, { name: value, when: section });
        else if (!required.has(value)) required.set(value, since === undefined ? { name: value } : { name: value, since });
        continue;
      }
      if (type === "^") fail(`inverted sections are not supported ({{^${value}}})`);
      // type "#": a release gate, an optional variable's section, or the extra-lines loop.
      const version = gateVersion(value);
      if (version !== undefined) {
        gates.add(value);
        walk(children ?? [], section, version);
      } else if (ENV_NAME.test(value) || value === "extra") {
        if (section !== undefined) fail(`{{#${value}}} is nested inside {{#${section}}}`);
        walk(children ?? [], value, since);
      } else {
        fail(`unknown section {{#${value}}}; use {{#SHITHUB_X}}, {{#since_vX_Y_Z}} or {{#extra}}`);
      }
    }
  };
  walk(Mustache.parse(source) as unknown as Token[], undefined, undefined);

  for (const name of required.keys()) optional.delete(name);
  return { file, path, source, required: [...required.values()], optional: [...optional.values()], gates: [...gates] };
}

export function loadEnvTemplates(dir: string = TEMPLATES_DIR): Record<EnvFileName, EnvTemplate> {
  const load = (file: EnvFileName): EnvTemplate => {
    const path = join(dir, "env", `${file}.env.mustache`);
    return analyseTemplate(file, `templates/env/${file}.env.mustache`, readFileSync(path, "utf8"));
  };
  return { web: load("web"), worker: load("worker") };
}


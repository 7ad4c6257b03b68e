import { satisfies } from "semver";
import { lookup } from "../config/catalogue";
import type { EnvValues } from "./envValues";
import { isSecretValue, textOf } from "./envValues";
import { gateVersion } from "./envTemplate";
import { renderTemplate } from "../templates";
import type { EnvFileName, EnvTemplate } from "./envTemplate";

/** Characters systemd would not hand to the process unchanged, whatever the quoting. */
export const UNWRITABLE = /[\n\r\0]/;

/**
 * Quotes a value for systemd's `EnvironmentFile=`: inside double quotes systemd removes the
 * backslash before `\ " $ \``, keeps every other byte, and does not expand variables, so the
 * process receives exactly `value`. (`#`, `=`, `'`, spaces and `&<>` need no escape there.)
 */
export function quoteForSystemd(value: string): string {
  if (UNWRITABLE.test(value)) throw new Error("a value with a newline, carriage return or NUL cannot be written to an env file");
  return `"${value.replace(/[\\"$`]/g, "\\$&")}"`;
}

export interface RenderedEnvFile {
  readonly file: EnvFileName;
  /** Where it goes on an app host. */
  readonly path: string;
  /** The file's text, secrets included: wrap it in `pulumi.secret` when `secret` is true. */
  readonly content: string;
  /** True when any value written into the file is a secret. */
  readonly secret: boolean;
  /** Variable names written: required, then optional, then extra lines. */
  readonly names: readonly string[];
}

export function envFilePath(file: EnvFileName): string {
  return `/etc/shithub/${file}.env`;
}

/** Stack-set keys the template does not name, that belong in this file (sorted, so output is stable). */
export function extraNames(template: EnvTemplate, values: EnvValues): string[] {
  const named = new Set([...template.required.map((r) => r.name), ...template.optional.map((o) => o.name)]);
  return [...values.entries()]
    .filter(([name, v]) => v.origin === "stack" && !named.has(name))
    .filter(([name]) => {
      const scope = lookup(name)?.scope;
      return scope === "both" || scope === template.file;
    })
    .map(([name]) => name)
    .sort();
}

/** Whether a stack pinned at `version` (`v1.8.0`) has passed the release gate `since`. */
export function gateOpen(version: string, since: string): boolean {
  return satisfies(version.replace(/^v/, ""), `>=${since}`, { includePrerelease: true });
}

/** Renders one env file from validated values (see checkEnv); a missing required value is a bug. */
export function renderEnvFile(template: EnvTemplate, values: EnvValues, version: string): RenderedEnvFile {
  const view: Record<string, string | boolean | Array<{ line: string }>> = {};
  for (const [name, v] of values) view[name] = quoteForSystemd(textOf(v));
  for (const gate of template.gates) view[gate] = gateOpen(version, gateVersion(gate) ?? "0.0.0");

  const written: string[] = [];
  for (const req of template.required) {
    if (req.since !== undefined && !gateOpen(version, req.since)) continue;
    if (!values.has(req.name)) throw new Error(`${template.path}: ${req.name} has no value; validate with checkEnv first`);
    written.push(req.name);
  }
  for (const opt of template.optional) {
    if (!values.has(opt.when)) continue;
    if (!values.has(opt.name)) throw new Error(`${template.path}: ${opt.name} has no value although ${opt.when} is set`);
    written.push(opt.name);
  }
  const extra = extraNames(template, values);
  written.push(...extra);
  view.extra = extra.map((name) => ({ line: `${name}=${view[name] as string}` }));

  return {
    file: template.file,
    path: envFilePath(template.file),
    content: renderTemplate(template.source, view),
    secret: written.some((name) => {
      const v = values.get(name);
      return v !== undefined && isSecretValue(v);
    }),
    names: written,
  };
}

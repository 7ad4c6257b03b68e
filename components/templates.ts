import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";

/** The project's templates/ folder: every file a host receives starts there. */
export const TEMPLATES_DIR = join(__dirname, "..", "templates");

/** A template's text, by its path under templates/. */
export function readTemplate(...path: string[]): string {
  return readFileSync(join(TEMPLATES_DIR, ...path), "utf8");
}

export type TemplateView = Readonly<Record<string, unknown>>;

/** Renders with HTML escaping off: values must reach systemd, sshd and shells byte for byte. */
export function renderTemplate(source: string, view: TemplateView, partials: Readonly<Record<string, string>> = {}): string {
  return Mustache.render(source, view, partials, { escape: (s: string) => s });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { TEMPLATES_DIR } from "../templates";

/** The units the program installs on an app host, in install order. */
export const UNIT_NAMES = ["shithubd-web.service", "shithubd-worker.service", "shithubd-cron.service", "shithubd-cron.timer"] as const;
export type UnitName = (typeof UNIT_NAMES)[number];

export interface UnitOptions {
  /** Postgres runs on this host: order after it and require it; otherwise only wait for the network. */
  readonly dbLocal: boolean;
  /** This host's web unit runs `shithubd migrate up` (exactly one host per environment does). */
  readonly migrate: boolean;
  /** Start timeout that bounds the migration (systemd's 90 s default would kill a long one). */
  readonly migrationTimeout: string;
  /** `shithubd web --addr`: the flag's default `:8080` (every interface) overrides SHITHUB_WEB__ADDR. */
  readonly webAddr: string;
}

const dir = join(TEMPLATES_DIR, "systemd");
const read = (file: string): string => readFileSync(join(dir, file), "utf8");
/** The sandbox every unit that runs as shithub includes (`{{> hardening}}`). */
export const SHITHUB_UNIT_PARTIALS = { hardening: read("hardening.mustache") };
const sources = Object.fromEntries(UNIT_NAMES.map((u) => [u, read(`${u}.mustache`)])) as Record<UnitName, string>;

/** Every unit's text for a host; byte-identical for identical options. */
export function renderUnits(options: UnitOptions): Record<UnitName, string> {
  const view = { ...options };
  return Object.fromEntries(
    UNIT_NAMES.map((u) => [u, Mustache.render(sources[u], view, SHITHUB_UNIT_PARTIALS, { escape: (s: string) => s })]),
  ) as Record<UnitName, string>;
}

export function unitPath(unit: UnitName): string {
  return `/etc/systemd/system/${unit}`;
}

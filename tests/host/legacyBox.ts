import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderTemplate } from "../../components/templates";

/**
 * The live forge before a takeover: one box laid out as the real deployment's Ansible roles and
 * runbook leave it (tests/host/legacy/: units, env files, Caddyfile, sshd, root's crontab, the
 * cluster under /data/pgdata with WAL archiving), booted in the test cloud from a cloud-config of
 * its own, not from the program. The shithubd it runs is the test double, published at the same
 * version the stack runs, so both sides' schemas are the same migrations'.
 */
const DIR = join(__dirname, "legacy");

export interface LegacyBox {
  readonly userData: string;
  readonly domain: string;
  readonly dbPassword: string;
}

/** Files that are not copied as they are: the cloud-config itself and what is rendered from a template. */
const RENDERED = new Set(["user-data.yaml.mustache", "Caddyfile.mustache", "env.mustache", "README.md", "setup.sh"]);

export function legacyBox(domain: string, shithubd: string): LegacyBox {
  const dbPassword = randomBytes(18).toString("base64url");
  const keys = { sessionKey: randomBytes(32).toString("base64"), totpKey: randomBytes(32).toString("base64") };
  const env = (web: boolean) => renderTemplate(readFileSync(join(DIR, "env.mustache"), "utf8"), { web, domain, dbPassword, ...keys });
  const files: Record<string, { text: string; mode: string }> = {
    "/root/legacy-setup.sh": { text: readFileSync(join(DIR, "setup.sh"), "utf8"), mode: "0700" },
    "/root/legacy/shithubd": { text: shithubd, mode: "0600" },
    "/root/legacy/Caddyfile": { text: renderTemplate(readFileSync(join(DIR, "Caddyfile.mustache"), "utf8"), { domain }), mode: "0600" },
    "/root/legacy/web.env": { text: env(true), mode: "0600" },
    "/root/legacy/worker.env": { text: env(false), mode: "0600" },
    "/root/legacy/db-password": { text: dbPassword, mode: "0600" },
  };
  for (const name of readdirSync(DIR).filter((n) => !RENDERED.has(n))) {
    files[`/root/legacy/${name}`] = { text: readFileSync(join(DIR, name), "utf8"), mode: "0600" };
  }
  const userData = renderTemplate(readFileSync(join(DIR, "user-data.yaml.mustache"), "utf8"), {
    files: Object.entries(files).map(([path, f]) => ({ path, mode: f.mode, b64: Buffer.from(f.text).toString("base64") })),
  });
  return { userData, domain, dbPassword };
}

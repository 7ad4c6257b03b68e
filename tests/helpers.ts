import { generateKeyPairSync } from "node:crypto";
import { bech32 } from "bech32";
import { recipientOf } from "../components/backups/ageKeys";
import { ed25519KeyPair } from "../offline/sshKeyPair";
import type { RawStackConfig, StackConfig } from "../components/config/stackConfig";
import { parseStackConfig } from "../components/config/stackConfig";
import type { Problem } from "../components/config/problems";
import { loadEnvTemplates } from "../components/env/envTemplate";
import { productionByName } from "../components/env/envDefaults";
import type { EnvFileName, EnvTemplate } from "../components/env/envTemplate";

/** 32-byte keys that are obviously for tests. */
export const SESSION_KEY = Buffer.from("test-session-key-not-a-real-one!").toString("base64");
export const TOTP_KEY = Buffer.from("test-totp-key-is-not-a-real-one!").toString("base64");
export const DATABASE_URL = "postgresql://shithub:db-pass-w0rd@10.0.0.5:5432/shithub?sslmode=require";

export const ARTIFACT_SHA256 = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
/** A real ed25519 deploy key (derived from a fixed seed): the access step writes its public half. */
export const SSH_DEPLOY_KEY = ed25519KeyPair("shithub-infra unit tests' deploy key");
export const SSH_PRIVATE_KEY = SSH_DEPLOY_KEY.privateKeyOpenssh;
export const REPOS_BACKUP_PASSWORD = "repos-backup-test-password-0123456789";

/** An age key pair as age-keygen makes one: the identity (private) and its recipient (public). */
export function ageKeyPair(): { identity: string; recipient: string } {
  const { privateKey } = generateKeyPairSync("x25519");
  const secret = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
  const identity = bech32.encode("AGE-SECRET-KEY-", bech32.toWords(secret), 200).toUpperCase();
  return { identity, recipient: recipientOf(identity)! };
}
export const BACKUP_KEY = ageKeyPair();
/** The escrow recipient production requires beside the operators' (no test opens with it). */
export const ESCROW_KEY = ageKeyPair();
export const SSH_KEY = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";

/** The launch topology: one droplet with every role. */
export const SINGLE_HOST = [
  { name: "shithub-staging", size: "s-2vcpu-4gb", roles: ["app", "db", "backup", "monitoring"], volume: { name: "shithub-staging-data", sizeGib: 20 } },
];

/** The four-droplet topology of Pulumi.production.yaml. */
export const FOUR_HOSTS = [
  { name: "shithub-app", size: "s-2vcpu-4gb", roles: ["app"], volume: { name: "shithub-data", sizeGib: 100 } },
  { name: "shithub-db", size: "s-2vcpu-4gb", roles: ["db"], volume: { name: "shithub-db-data", sizeGib: 100 } },
  { name: "shithub-backup", size: "s-1vcpu-2gb", roles: ["backup"] },
  { name: "shithub-monitoring", size: "s-2vcpu-4gb", roles: ["monitoring"] },
];

/** A valid staging config as the engine would hand it over; `set`/`secret`/`drop` adjust it. */
export function rawConfig(options: {
  stack?: string;
  set?: Record<string, string>;
  secret?: Record<string, string>;
  drop?: string[];
} = {}): RawStackConfig {
  const values: Record<string, string> = {
    "shithubd:version": "v1.8.0",
    "shithubd:domain": "staging.shithub.sh",
    "shithubd:region": "nyc3",
    "shithubd:SHITHUB_AUTH__EMAIL_FROM": "shithub <noreply@staging.shithub.sh>",
    "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "stdout",
    "shithubd:SHITHUB_SESSION_KEY": SESSION_KEY,
    "shithubd:SHITHUB_TOTP_KEY": TOTP_KEY,
    "shithubd:hosts": JSON.stringify(SINGLE_HOST),
    "shithubd:sshKeys": JSON.stringify([SSH_KEY]),
    "shithubd:adminCidrs": JSON.stringify(["203.0.113.10/32"]),
    "shithubd:alertEmails": JSON.stringify(["ops@shithub.sh"]),
    "shithubd:artifactUrl": "https://releases.example.org/shithubd/{version}/shithubd-linux-amd64",
    "shithubd:artifactSha256": ARTIFACT_SHA256,
    "shithubd:sshPrivateKey": SSH_PRIVATE_KEY,
    "shithubd:reposBackupPassword": REPOS_BACKUP_PASSWORD,
    "shithubd:backupRecipients": JSON.stringify([BACKUP_KEY.recipient, ESCROW_KEY.recipient]),
  };
  const secretKeys = new Set(["shithubd:SHITHUB_SESSION_KEY", "shithubd:SHITHUB_TOTP_KEY", "shithubd:sshPrivateKey", "shithubd:reposBackupPassword"]);
  for (const [k, v] of Object.entries(options.set ?? {})) {
    values[k] = v;
    secretKeys.delete(k);
  }
  for (const [k, v] of Object.entries(options.secret ?? {})) {
    values[k] = v;
    secretKeys.add(k);
  }
  const stack = options.stack ?? "staging";
  // Production promotes from staging (its promotion gate) and mails its alerts; a test of those rules drops the keys.
  if (productionByName(stack) || values["shithubd:production"] === "true") {
    values["shithubd:promoteFrom"] ??= "organization/shithubd/staging";
    values["shithubd:alertSmtpSmarthost"] ??= "smtp.example.org:587";
  }
  for (const k of options.drop ?? []) delete values[k];
  return { stack, values, secretKeys, placeholders: new Set() };
}

const templates = loadEnvTemplates();

export function realTemplates(): Readonly<Record<EnvFileName, EnvTemplate>> {
  return templates;
}

/** Problems of a config that must be invalid. */
export function problemsOf(raw: RawStackConfig, t = templates): Problem[] {
  const result = parseStackConfig(raw, t);
  if (result.ok) throw new Error("expected configuration problems, got a valid config");
  return result.problems;
}

/** A config that must be valid. */
export function configOf(raw: RawStackConfig, t = templates): StackConfig {
  const result = parseStackConfig(raw, t);
  if (!result.ok) throw new Error(`unexpected problems:\n${result.problems.map((p) => `${p.key}: ${p.message}`).join("\n")}`);
  return result.config;
}

/** A file staged in a setup or release bundle (components/hosts/bundle.ts), decoded; undefined if absent. */
export function stagedFile(bundle: string, name: string): string | undefined {
  const m = new RegExp(`^stage_file ${name.replace(/[.]/g, "\\.")} <<'(\\w+)'\\n([^]*?)\\n\\1$`, "m").exec(bundle);
  return m === null ? undefined : Buffer.from(m[2]!.replace(/\n/g, ""), "base64").toString("utf8");
}

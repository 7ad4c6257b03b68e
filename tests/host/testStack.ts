import type { BackupHostInputs } from "../../components/backups/backupHost";
import { deployIdentity, runGit } from "../../components/ops/deployIdentity";
import { platformOf } from "../../components/hosts/platform";
import { runOffline } from "../../offline/run";
import type { OfflineOptions } from "../../offline/run";
import type { StackFileConfig } from "../../offline/stackFile";
import { ageKeyPair, SESSION_KEY, SSH_KEY, TOTP_KEY } from "../helpers";
import type { Plan } from "./applyPlan";
import type { ArtifactServer } from "./artifacts";
import { HOST_IP, IMAGE, SINGLE_DROPLET, TEST_DEPLOY_KEY } from "./machine";
import type { DropletSpec } from "./machine";
import { unwrapSecret } from "../../offline/summary";

/** The secret values a test stack's plan is made with (what the engine would decrypt). */
export const TEST_SECRETS: Readonly<Record<string, string>> = {
  "shithubd:SHITHUB_SESSION_KEY": SESSION_KEY,
  "shithubd:SHITHUB_TOTP_KEY": TOTP_KEY,
  "shithubd:SHITHUB_AUTH__POSTMARK__SERVER_TOKEN": "test-postmark-token",
  "shithubd:sshPrivateKey": TEST_DEPLOY_KEY.privateKeyOpenssh,
  "shithubd:reposBackupPassword": "repos-backup-host-test-password-42",
};

/**
 * The operators' age key of the test stacks: its recipient in the plans, its identity given to the
 * drills; and the escrow key production requires beside it, whose identity no test uses.
 */
export const TEST_BACKUP_KEY = ageKeyPair();
const TEST_ESCROW_KEY = ageKeyPair();
export const TEST_BACKUP_RECIPIENTS = { "shithubd:backupRecipients": JSON.stringify([TEST_BACKUP_KEY.recipient, TEST_ESCROW_KEY.recipient]) };

/** The offline plan of a one-droplet test stack at `version` from `artifacts`: the program under Pulumi's mock runtime, with real secret values. */
export async function planSingleDroplet(domain: string, version: string, artifacts: ArtifactServer, set: Record<string, string> = {},
  secrets: Record<string, string> = {}): Promise<Plan> {
  const result = await runOffline({
    stack: "hosttest",
    file: "(host test)",
    values: {
      "shithubd:version": version,
      "shithubd:domain": domain,
      "shithubd:region": "nyc3",
      "shithubd:image": IMAGE,
      "shithubd:tls": "internal",
      "shithubd:edgeWaitSeconds": "30",
      "shithubd:vpcIpRange": "10.30.0.0/24",
      "shithubd:SHITHUB_AUTH__EMAIL_FROM": `shithub <noreply@${domain}>`,
      "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "stdout",
      "shithubd:hosts": JSON.stringify([SINGLE_DROPLET]),
      "shithubd:sshKeys": JSON.stringify([SSH_KEY]),
      "shithubd:adminCidrs": JSON.stringify([`${HOST_IP}/32`]),
      "shithubd:alertEmails": JSON.stringify([`ops@${domain}`]),
      "shithubd:artifactUrl": artifacts.urlTemplate,
      "shithubd:artifactSha256": artifacts.sha(version),
      "shithubd:healthTimeoutSeconds": "30",
      ...TEST_BACKUP_RECIPIENTS,
      ...set,
    },
    secureKeys: new Set(),
  }, { placeholdersForUnsetValues: false, secretValues: { ...TEST_SECRETS, ...secrets } });
  if (!result.ok) throw new Error(result.message);
  return result;
}

/**
 * The steps that reach Spaces: the backup setups point PostgreSQL's archive_command and the timers
 * at it, the repositories' setup makes its restic repository there, the DR copy and the heartbeat
 * observer read the buckets. A test world without radosgw leaves them out (the converge and forge tiers run
 * them against radosgw as Spaces).
 */
export const needsSpaces = (name: string): boolean =>
  ["-backup-setup", "-backup-observer-setup", "-dr-sync-setup"].some((suffix) => name.endsWith(suffix));

/** `plan` without the steps that reach Spaces, for every `up` of a world without radosgw. */
export const withoutSpaces = (plan: Plan): Plan => ({ ...plan, resources: plan.resources.filter((r) => !needsSpaces(r.name)) });

/** The root of Caddy's own CA behind `tls internal` on `machine` (public; an operator copies it the same way). */
export const CADDY_ROOT = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt";

/**
 * What the backup setup of SINGLE_DROPLET gets when its Spaces is radosgw on this host (plain
 * HTTP on :7480, one key for every job): the bucket endpoints and keys of BackupHostInputs.
 */
export function radosgwBackupInputs(buckets: BackupHostInputs["spaces"]["buckets"], access: string, secret: string): Omit<BackupHostInputs, "dump" | "wal" | "databaseUrl"> {
  return {
    host: SINGLE_DROPLET.name,
    dbLocal: true,
    platform: platformOf(IMAGE)!,
    spaces: { provider: "Ceph", endpoint: `http://${HOST_IP}:7480`, buckets },
    recipients: [TEST_BACKUP_KEY.recipient],
    dumpKey: { accessKey: access, secretKey: secret },
    walKey: { accessKey: access, secretKey: secret },
  };
}

/** One value the test world puts in place of a committed stack file's: what it substitutes, and why it must. */
export interface Substitution {
  readonly key: string;
  readonly value: () => string;
  readonly why: string;
}

/**
 * What every test world substitutes in a committed stack file, and why it must: its addresses,
 * its release server, its ACME CA and the operators' backup key.
 */
export function worldSubstitutions(world: { readonly artifacts: ArtifactServer; readonly acmeDirectory: () => string }): Substitution[] {
  return [
    { key: "shithubd:adminCidrs", value: () => JSON.stringify([`${HOST_IP}/32`]), why: "the admin network is this host's address on the test cloud" },
    { key: "shithubd:artifactUrl", value: () => world.artifacts.urlTemplate, why: "the release server is this host's (tests/host/artifacts.ts)" },
    { key: "shithubd:backupRecipients", value: () => TEST_BACKUP_RECIPIENTS["shithubd:backupRecipients"], why: "the operators' age key, whose identity the drills get" },
    { key: "shithubd:acmeCaUrl", value: world.acmeDirectory, why: "the ACME CA is the test world's Pebble, in place of Let's Encrypt (tests/host/acme.ts)" },
  ];
}

/**
 * The offline plan of a committed stack file (Pulumi.<stack>.yaml, under its own stack name, so
 * in the mode it runs in) with the test world's substitutions, at `version` (the release under
 * test, from the world's release server, whose checksum goes with it) and `set` (a scenario's
 * config edit); secrets are TEST_SECRETS and `secrets`.
 */
/** Who the host tiers' releases are deployed by, as `pulumi up` would name them here: this checkout's git identity and commit. */
export const TEST_DEPLOYER = deployIdentity(process.env, runGit);

export async function planCommitted(file: StackFileConfig, substitutions: readonly Substitution[], release: { version: string; sha256: string },
  set: Record<string, string> = {}, secrets: Record<string, string> = {}, promotion?: OfflineOptions["promotion"]): Promise<Plan> {
  const result = await runOffline({
    ...file,
    values: {
      ...file.values,
      ...Object.fromEntries(substitutions.map((s) => [s.key, s.value()])),
      "shithubd:version": release.version,
      "shithubd:artifactSha256": release.sha256,
      ...set,
    },
  }, { placeholdersForUnsetValues: false, secretValues: { ...TEST_SECRETS, ...secrets }, deployer: TEST_DEPLOYER, ...(promotion !== undefined ? { promotion } : {}) });
  if (!result.ok) throw new Error(result.message);
  return result;
}

/** The droplets a committed stack file's plan boots: each with its own user data, its planned private address and its volume. */
export function plannedDroplets(plan: Plan, file: StackFileConfig): DropletSpec[] {
  const hosts = (plan.outputs as { hosts: Record<string, { privateIpv4: string }> }).hosts;
  const specs = JSON.parse(file.values["shithubd:hosts"]!) as Array<{ name: string; volume?: unknown }>;
  const vpcPrefix = Number(file.values["shithubd:vpcIpRange"]!.split("/")[1]);
  return plan.resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet").map((r) => ({
    name: String(r.inputs.name),
    userData: String(unwrapSecret(r.inputs.userData)),
    privateIp: hosts[String(r.inputs.name)]!.privateIpv4,
    vpcPrefix,
    volume: specs.find((h) => h.name === r.inputs.name)!.volume !== undefined,
  }));
}

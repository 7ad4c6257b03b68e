import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { drillKeyPair } from "./ageKeys";
import type { ScopedKey, ShithubBackups } from "./backups";
import { BACKUP_FILE_PATHS, DRILL_IDENTITY_FILE, KEY_FILES, backupSecretFiles, backupSetupBundle, backupStaticFiles, postReleaseDrillCommand, preReleaseBackupCommand } from "./backupHost";
import type { BackupHostInputs, KeyPair } from "./backupHost";
import { BUNDLE_COMMAND } from "../hosts/bundle";
import { bucketEndpoint } from "./buckets";
import type { StackConfig } from "../config/stackConfig";
import { connectionFor } from "../hosts/connection";
import type { ShithubHost } from "../hosts/host";
import type { HostFile } from "../hosts/hostFile";

export interface BackupStepsArgs {
  readonly config: StackConfig;
  readonly hosts: readonly ShithubHost[];
  readonly backups: ShithubBackups;
  /** The URL a host's dumps use (the read-only backup role), per host. */
  readonly databaseUrlFor: (host: ShithubHost) => pulumi.Output<string>;
  readonly after: readonly pulumi.Resource[];
}

/**
 * The backup system on the hosts: one setup step per host that dumps (the backup host, or the
 * db host without one) or archives WAL (the db host), and, when the pinned release is a major
 * schema change, the pre-deploy backup every release step waits for.
 */
export class ShithubBackupSteps extends pulumi.ComponentResource {
  /** The release steps depend on these (the pre-deploy backup, when there is one). */
  readonly gate: pulumi.Resource[] = [];
  /**
   * The setup that may restart PostgreSQL (WAL archiving on the db host): shithubd must not be
   * starting, or migrating, against a database that goes away under it.
   */
  readonly databaseRestarts: pulumi.Resource[] = [];
  readonly hostFiles: Array<{ host: string; file: HostFile }> = [];
  /** The weekly drill's recipient, beside the operators' in every recipients file (its identity is on the dump host only). */
  readonly drillRecipient: pulumi.Output<string>;
  private readonly dumpHost: ShithubHost;

  constructor(name: string, args: BackupStepsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:BackupSteps", name, {}, opts);
    const { config, backups } = args;
    const db = args.hosts.find((h) => h.spec.roles.includes("db"));
    if (db === undefined) throw new Error("the topology has no db host"); // checkTopology guarantees one
    this.dumpHost = args.hosts.find((h) => h.spec.roles.includes("backup")) ?? db;
    const byName = (b: keyof typeof backups.buckets) => backups.buckets[b].name;
    const setups = new Map<string, command.remote.Command>();

    // The weekly drill's age key pair: 32 random bytes kept in state as a secret, never typed by
    // anyone. Its recipient is public (unsecret); its identity goes to the dump host's drill.key only.
    const drillBytes = new random.RandomBytes(`shithub-${config.stack}-backup-drill-identity`, { length: 32 }, { parent: this });
    const drill = pulumi.secret(drillBytes.base64.apply(drillKeyPair));
    this.drillRecipient = pulumi.unsecret(drill.apply((d) => d.recipient));
    const recipients = this.drillRecipient.apply((r) => [...config.hosts.backupRecipients, r]);

    const pair = (k: ScopedKey) => pulumi.all([k.accessKey, k.secretKey]).apply(([accessKey, secretKey]): KeyPair => ({ accessKey, secretKey }));
    for (const host of [...new Set([this.dumpHost, db])]) {
      // A host holds the key of each job it runs, and no other.
      const jobs = { dump: host === this.dumpHost, wal: host === db };
      const inputs = pulumi.all([
        jobs.dump ? pair(backups.keys.dump) : undefined, jobs.wal ? pair(backups.keys.wal) : undefined,
        byName("backups"), byName("wal"), args.databaseUrlFor(host), recipients, jobs.dump ? drill : undefined,
      ]).apply(([dumpKey, walKey, b, w, databaseUrl, everyRecipient, drillKeys]): BackupHostInputs => ({
        host: host.spec.name,
        ...jobs,
        holdDump: config.release.standby || config.recovery !== undefined,
        holdWal: config.recovery !== undefined,
        dbLocal: jobs.wal,
        databaseUrl,
        platform: config.platform,
        recipients: everyRecipient,
        spaces: {
          provider: "DigitalOcean",
          endpoint: bucketEndpoint(config.backups.buckets, "backups"),
          buckets: { backups: b, wal: w },
        },
        ...(dumpKey !== undefined ? { dumpKey } : {}),
        ...(walKey !== undefined ? { walKey } : {}),
        ...(drillKeys !== undefined ? { drillIdentity: drillKeys.identity } : {}),
      }));
      const bundle = pulumi.secret(inputs.apply(backupSetupBundle));
      const secretFiles = pulumi.secret(inputs.apply(backupSecretFiles));
      const walHeld = config.recovery !== undefined;
      const staticFiles = recipients.apply((r) => backupStaticFiles(jobs.wal, r, walHeld));
      const staticNames = Object.keys(backupStaticFiles(jobs.wal, [], walHeld));
      const notHere = (Object.keys(KEY_FILES) as Array<keyof typeof KEY_FILES>).filter((job) => !jobs[job]).map((job) => KEY_FILES[job] as string);
      if (!jobs.dump) notHere.push(DRILL_IDENTITY_FILE);
      for (const [name, path] of Object.entries(BACKUP_FILE_PATHS)) {
        if (notHere.includes(name)) continue;
        const content = staticNames.includes(name) ? staticFiles.apply((f) => f[name]!) : secretFiles.apply((f) => f[name] ?? "");
        this.hostFiles.push({ host: host.spec.name, file: { path, content, names: [] } });
      }
      setups.set(host.spec.name, new command.remote.Command(`${host.spec.name}-backup-setup`, {
        connection: connectionFor(host, config),
        create: BUNDLE_COMMAND,
        update: BUNDLE_COMMAND,
        stdin: bundle,
        logging: "stderr",
        addPreviousOutputInEnv: false,
      }, { parent: this, dependsOn: [...args.after, ...host.ready], additionalSecretOutputs: ["stdout", "stderr", "stdin"] }));
      this.hostFiles.push({ host: host.spec.name, file: { path: "/run/shithub-backup-setup.bundle", content: bundle, names: [] } });
    }

    this.databaseRestarts.push(setups.get(db.spec.name)!);

    if (config.backups.majorSchemaChange) {
      // Its command names the version, so each flagged release takes (and checks) its own backup.
      this.gate.push(new command.remote.Command(`${this.dumpHost.spec.name}-pre-release-backup`, {
        connection: connectionFor(this.dumpHost, config),
        create: preReleaseBackupCommand(config.version),
        update: preReleaseBackupCommand(config.version),
        logging: "stderr",
        addPreviousOutputInEnv: false,
      }, { parent: this, dependsOn: [setups.get(this.dumpHost.spec.name)!], additionalSecretOutputs: ["stdout", "stderr"] }));
    }
    this.registerOutputs({});
  }

  /** On staging, after a major schema change: dump the migrated database and restore it into a scratch server. */
  postReleaseDrill(config: StackConfig, after: readonly pulumi.Resource[]): void {
    if (!config.backups.majorSchemaChange || config.production) return;
    new command.remote.Command(`${this.dumpHost.spec.name}-post-release-drill`, {
      connection: connectionFor(this.dumpHost, config),
      create: postReleaseDrillCommand(config.version),
      update: postReleaseDrillCommand(config.version),
      logging: "stderr",
      addPreviousOutputInEnv: false,
    }, { parent: this, dependsOn: [...after], additionalSecretOutputs: ["stdout", "stderr"] });
  }
}

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stackConfig";
import { BUNDLE_COMMAND } from "../hosts/bundle";
import { connectionFor } from "../hosts/connection";
import type { ShithubHost } from "../hosts/host";
import type { HostFile } from "../hosts/hostFile";
import { publicKeyOf } from "../hosts/sshKeys";
import { accessFiles } from "./access";
import { backupObserverFiles, backupObserverSecretFiles } from "./backupObserver";
import type { BackupObserverInputs } from "./backupObserver";
import { drSyncFiles, drSyncSecretFiles } from "./drSync";
import type { DrSyncInputs } from "./drSync";
import { reposBackupFiles, reposBackupSecretFiles, reposBackupVars } from "./reposBackup";
import { appRecoveryFiles, appRecoverySecretFiles, dbRecoveryFiles, dbRecoverySecretFiles } from "./recovery";
import type { RecoveryInputs } from "./recovery";
import type { ReposBackupInputs } from "./reposBackup";
import { databaseClients, dbConfigFiles, dbRolesSql, dbSetupVars } from "./db";
import type { DbNetwork } from "./db";
import { edgeFiles } from "./edge";
import { gitSshFiles } from "./gitSsh";
import { hostModules } from "./index";
import type { RoleOptions } from "./index";
import type { RoleId, RoleModule } from "./role";
import { roleSetupBundle } from "./setupBundle";
import { webAddress } from "../release/releasePlan";
import { metricsFiles, metricsSecretFiles, PROMETHEUS_PORT } from "./metrics";
import type { MetricsInputs, PrometheusMode } from "./metrics";
import { alertmanagerSmtp, monitoringFiles, prometheusLoginFiles, renderAlertmanagerConfig } from "./monitoring";
import { postgresMetricsFiles } from "./postgresMetrics";
import { alertRulesInputs, renderAlertRules } from "../monitoring/alertRules";
import { prometheusLogin } from "../monitoring/prometheusLogin";
import type { PrometheusLogin } from "../monitoring/prometheusLogin";
import { textOf } from "../env/envValues";
import { opsFiles } from "./ops";
import { bootstrapPaths, hostSteps } from "../ops/hostRecords";
import { PROMETHEUS_QUERY_CURLRC } from "../monitoring/prometheusLogin";

export interface RoleStepsArgs {
  readonly config: StackConfig;
  readonly hosts: readonly ShithubHost[];
  /** The same options the hosts' user data was rendered with (which host runs the DR copy). */
  readonly roleOptions: RoleOptions;
  /** What every setup step waits for (the firewalls that let SSH in). */
  readonly after: readonly pulumi.Resource[];
  readonly database: {
    readonly appPassword: pulumi.Output<string>;
    readonly backupPassword: pulumi.Output<string>;
    readonly appSalt: pulumi.Output<string>;
    readonly backupSalt: pulumi.Output<string>;
  };
  /** What the web hosts' heartbeat timer reads the buckets with (a secret: the key). */
  readonly backupObserver: pulumi.Output<BackupObserverInputs>;
  /** The repositories' restic repository, its password and key (a secret). */
  readonly reposBackup: pulumi.Output<ReposBackupInputs>;
  /** The DR copy's buckets and key (a secret). */
  readonly drSync: pulumi.Output<DrSyncInputs>;
  /** While shithubd:recovery is set: what the app and db hosts read the lost environment with (a secret). */
  readonly recovery?: pulumi.Output<RecoveryInputs>;
}

/** What a role's step needs on one host: its staged files (a secret output when any is) and the bundle's settings. */
interface StepContent {
  /** Files shown as host files; `secretFiles` travel in the bundle only (the SQL with passwords). */
  readonly files: pulumi.Output<Record<string, string>>;
  readonly secretFiles?: pulumi.Output<Record<string, string>>;
  readonly vars: Readonly<Record<string, string | number>>;
}

/**
 * The setup steps of the access, edge, git-ssh, backup-observer, repos-backup, dr-sync and db roles: one remote command per role per host, whose
 * inputs change exactly when its files do. (The app role's step is the release, the backup
 * role's the backup setup: their components live in release/ and backups/.)
 */
export class ShithubRoleSteps extends pulumi.ComponentResource {
  private readonly steps = new Map<RoleId, command.remote.Command[]>();
  private readonly byHost = new Map<string, command.remote.Command>();
  readonly hostFiles: Array<{ host: string; file: HostFile }> = [];

  constructor(name: string, args: RoleStepsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:RoleSteps", name, {}, opts);
    const { config } = args;
    const specs = config.hosts.hosts;
    const dbHost = args.hosts.find((h) => h.spec.roles.includes("db"));
    if (dbHost === undefined) throw new Error("the topology has no db host"); // checkTopology guarantees one
    const clients = databaseClients(specs);
    const clientIps = Object.fromEntries(args.hosts.filter((h) => clients.some((c) => c.host === h.spec.name)).map((h) => [h.spec.name, h.droplet.ipv4AddressPrivate]));

    const monitoringHost = args.hosts.find((h) => h.spec.roles.includes("monitoring"));
    // bcrypt takes a moment: derived once, and only for an environment with a monitoring host.
    let login: PrometheusLogin | undefined;
    const prometheusLoginOnce = (): PrometheusLogin => (login ??= prometheusLogin(config.release.sshPrivateKey.reveal()));
    const envText = (name: string): string | undefined => {
      const v = config.env.get(name);
      return v === undefined ? undefined : textOf(v);
    };

    const content = (role: RoleModule, host: ShithubHost): StepContent | undefined => {
      switch (role.id) {
        case "metrics": {
          if (monitoringHost === undefined) return undefined;
          const roles = host.spec.roles;
          const app = roles.includes("app");
          const scrapesShithubd = app && envText("SHITHUB_METRICS__ENABLED") !== "false";
          const basicAuthUser = envText("SHITHUB_METRICS__BASIC_AUTH_USER");
          const mode: pulumi.Output<PrometheusMode> = host === monitoringHost
            ? host.droplet.ipv4AddressPrivate.apply((ip): PrometheusMode => ({
              kind: "server",
              // Alone, it listens on loopback; with other hosts, on the VPC address their agents push to.
              listen: `${specs.length === 1 ? "127.0.0.1" : ip}:${PROMETHEUS_PORT}`,
              retentionDays: config.monitoring.retentionDays,
              retentionGib: config.monitoring.retentionGib,
            }))
            : monitoringHost.droplet.ipv4AddressPrivate.apply((ip): PrometheusMode => ({ kind: "agent", receiver: `${ip}:${PROMETHEUS_PORT}` }));
          const inputs = mode.apply((m): MetricsInputs => ({
            env: config.stack,
            host: host.spec.name,
            mode: m,
            ...(scrapesShithubd ? { shithubd: { address: webAddress(config), ...(basicAuthUser ? { basicAuthUser } : {}) } } : {}),
            caddy: app,
            postgres: roles.includes("db"),
            ...(app ? { domain: config.domain } : {}),
          }));
          const password = config.env.get("SHITHUB_METRICS__BASIC_AUTH_PASS");
          const pushPassword = host === monitoringHost ? undefined : prometheusLoginOnce().password;
          return {
            files: inputs.apply(metricsFiles),
            secretFiles: pulumi.secret(pulumi.output<Record<string, string>>(metricsSecretFiles(scrapesShithubd && password !== undefined ? textOf(password) : undefined, pushPassword))),
            vars: {},
          };
        }
        case "monitoring":
          return {
            files: pulumi.output(monitoringFiles(renderAlertRules(alertRulesInputs(config)))),
            secretFiles: pulumi.secret(pulumi.output<Record<string, string>>({
              "alertmanager.yml": renderAlertmanagerConfig({ stack: config.stack, alertEmails: config.hosts.alertEmails, smtp: alertmanagerSmtp(config.monitoring.smtp) }),
              ...prometheusLoginFiles(prometheusLoginOnce()),
            })),
            vars: {},
          };
        case "postgres-metrics":
          return { files: pulumi.output(postgresMetricsFiles()), vars: {} };
        case "edge":
          return {
            files: pulumi.output(edgeFiles({ host: host.spec.name, domain: config.domain, upstream: webAddress(config), edge: config.edge, standby: config.release.standby })),
            vars: {},
          };
        case "access":
          return {
            files: pulumi.output(accessFiles({
              stack: config.stack,
              deployKey: publicKeyOf(config.release.sshPrivateKey.reveal()),
              authorizedKeys: config.hosts.authorizedKeys,
              adminCidrs: config.hosts.adminCidrs,
            })),
            vars: {},
          };
        case "backup-observer":
          return {
            // Bucket names only: the key stays in the secret files, and the units are not secrets.
            files: pulumi.unsecret(args.backupObserver.apply(({ backupsBucket, backupsDrBucket }) => backupObserverFiles({ backupsBucket, backupsDrBucket }))),
            secretFiles: pulumi.secret(args.backupObserver.apply(backupObserverSecretFiles)),
            vars: {},
          };
        case "repos-backup":
          return { files: pulumi.output(reposBackupFiles()), secretFiles: pulumi.secret(args.reposBackup.apply(reposBackupSecretFiles)), vars: reposBackupVars(config.recovery !== undefined) };
        case "db-recovery":
        case "app-recovery": {
          const recovery = args.recovery;
          if (recovery === undefined) return undefined;
          const [files, secretFiles] = role.id === "db-recovery" ? [dbRecoveryFiles, dbRecoverySecretFiles] : [appRecoveryFiles, appRecoverySecretFiles];
          return {
            // The settings and scripts are shown as host files; the keys travel in the bundle only.
            files: pulumi.unsecret(recovery.apply(files)),
            secretFiles: pulumi.secret(recovery.apply(secretFiles)),
            vars: {},
          };
        }
        case "dr-sync":
          return {
            files: pulumi.unsecret(args.drSync.apply(({ buckets }) => drSyncFiles(buckets))),
            secretFiles: pulumi.secret(args.drSync.apply(drSyncSecretFiles)),
            vars: {},
          };
        case "git-ssh":
          return { files: pulumi.output(gitSshFiles(config.hosts.adminCidrs)), vars: {} };
        case "ops": {
          const spec = host.spec;
          const prometheus: pulumi.Output<{ url: string; curlrc: string } | undefined> = host === monitoringHost
            ? host.droplet.ipv4AddressPrivate.apply((ip) => ({ url: `http://${specs.length === 1 ? "127.0.0.1" : ip}:${PROMETHEUS_PORT}`, curlrc: PROMETHEUS_QUERY_CURLRC }))
            : pulumi.output(undefined);
          return {
            files: prometheus.apply((p) => opsFiles({
              host: spec,
              steps: hostSteps(spec, args.roleOptions),
              ...(spec.roles.includes("app") ? { domain: config.domain } : {}),
              ...(p !== undefined ? { prometheus: p } : {}),
              bootstrap: bootstrapPaths(spec, config.swapGib, config.platform, args.roleOptions),
            })),
            vars: {},
          };
        }
        case "db": {
          const net = pulumi.all([dbHost.droplet.ipv4AddressPrivate, pulumi.all(clientIps)])
            .apply(([dbPrivateIp, clientAddresses]): DbNetwork => ({ dbPrivateIp, clientAddresses, clients }));
          const { database } = args;
          const sql = pulumi.secret(pulumi.all([database.appPassword, database.backupPassword, database.appSalt, database.backupSalt])
            .apply(([appPassword, backupPassword, appSalt, backupSalt]) => dbRolesSql({ appPassword, backupPassword, appSalt, backupSalt })));
          return {
            files: net.apply(dbConfigFiles),
            secretFiles: sql.apply((text): Record<string, string> => ({ "roles.sql": text })),
            vars: dbSetupVars(config.platform),
          };
        }
        default:
          return undefined;
      }
    };

    // The monitoring host last: its Prometheus starts asking for the login only once every agent
    // has it, so no push is refused on the way (a refused remote write is dropped, not retried).
    const hostsInOrder = [...args.hosts.filter((h) => h !== monitoringHost), ...(monitoringHost === undefined ? [] : [monitoringHost])];
    for (const host of hostsInOrder) {
      for (const role of hostModules(host.spec, args.roleOptions)) {
        const step = content(role, host);
        if (step === undefined || role.step === undefined) continue;
        const bundle = pulumi.all([step.files, step.secretFiles ?? {}])
          .apply(([files, secretFiles]) => roleSetupBundle(role, host.spec.name, config.platform, step.vars, { ...files, ...secretFiles }));
        const agents = role.id === "metrics" && host === monitoringHost ? (this.steps.get("metrics") ?? []) : [];
        const waitsFor = [...role.step.after.flatMap((r) => this.steps.get(r) ?? []), ...agents];
        const cmd = new command.remote.Command(`${host.spec.name}-${role.step.name}`, {
          connection: connectionFor(host, config),
          create: BUNDLE_COMMAND,
          update: BUNDLE_COMMAND,
          stdin: pulumi.secret(bundle),
          logging: "stderr",
          addPreviousOutputInEnv: false,
        }, { parent: this, dependsOn: [...args.after, ...host.ready, ...waitsFor], additionalSecretOutputs: ["stdout", "stderr", "stdin"] });
        this.steps.set(role.id, [...(this.steps.get(role.id) ?? []), cmd]);
        this.byHost.set(`${host.spec.name}\0${role.id}`, cmd);
        for (const file of role.files(config.platform)) {
          this.hostFiles.push({ host: host.spec.name, file: { path: file.path, content: step.files.apply((f) => f[file.name] ?? ""), names: [] } });
        }
        this.hostFiles.push({ host: host.spec.name, file: { path: `/run/shithub-${role.step.name}.bundle`, content: pulumi.secret(bundle), names: [] } });
      }
    }
    this.registerOutputs({});
  }

  /** The setup steps of a role, on every host that has it. */
  of(role: RoleId): command.remote.Command[] {
    return this.steps.get(role) ?? [];
  }

  /** The setup step of `role` on `host`, if that host has the role. */
  onHost(host: string, role: RoleId): command.remote.Command[] {
    const step = this.byHost.get(`${host}\0${role}`);
    return step === undefined ? [] : [step];
  }
}

import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ShithubBackups } from "./backups/backups";
import { bucketEndpoint } from "./backups/buckets";
import type { BucketId } from "./backups/buckets";
import { ShithubBackupSteps } from "./backups/backupSteps";
import type { StackConfig } from "./config/stackConfig";
import { envFilePath, renderEnvFile } from "./env/envFile";
import { ENV_FILES } from "./env/envTemplate";
import type { EnvFileName, EnvTemplate } from "./env/envTemplate";
import { resolveDeferred } from "./env/envValues";
import { SSH_ENV_PATH, sshEnvOf, sshNeeds } from "./env/sshEnv";
import { dnsNames, nameInZone } from "./hosts/dns";
import { ShithubDocsSite } from "./docs/docsSite";
import { fqdnOf, mailDnsRecords } from "./hosts/mailDns";
import { ShithubHost } from "./hosts/host";
import type { HostFile } from "./hosts/hostFile";
import { ShithubFirewalls, ShithubNetwork } from "./hosts/network";
import { ShithubService } from "./release/releaseSteps";
import { APP_USER, BACKUP_USER, databaseUrl } from "./roles/db";
import { roleOptionsOf } from "./roles/index";
import { ShithubRoleSteps } from "./roles/steps";
import { recoveryInputs } from "./roles/recovery";
import type { DeployIdentity } from "./ops/deployIdentity";

export interface ShithubEnvironmentArgs {
  readonly config: StackConfig;
  readonly templates: Readonly<Record<EnvFileName, EnvTemplate>>;
  /** Who deploys, from which commit (each release's audit line). */
  readonly deployer: DeployIdentity;
}

/** An A record to create, in DigitalOcean or (when the zone is elsewhere) by hand. */
export interface DnsRecordOutput {
  readonly type: "A" | "TXT" | "CNAME";
  readonly name: string;
  readonly value: pulumi.Input<string>;
}

/**
 * One deployment environment of shithub (a stack): its VPC, hosts, firewalls, project, DNS,
 * uptime check, buckets, and the hosts' roles brought up in order: the database first, then
 * backups, edge and git over SSH beside it, and the release of shithubd last.
 */
export class ShithubEnvironment extends pulumi.ComponentResource {
  /** Which variables each env file sets (the same on every app host). */
  readonly envFileNames: Readonly<Record<EnvFileName, readonly string[]>>;
  readonly hosts: readonly ShithubHost[];
  readonly network: ShithubNetwork;
  readonly firewalls: ShithubFirewalls;
  readonly roleSteps: ShithubRoleSteps;
  readonly service: ShithubService;
  readonly backups: ShithubBackups;
  readonly backupSteps: ShithubBackupSteps;
  readonly dnsRecords: readonly DnsRecordOutput[];
  readonly docsSite?: ShithubDocsSite;
  /** Every file the program puts on each host. */
  readonly hostFiles: ReadonlyArray<{ readonly host: string; readonly file: HostFile }>;

  constructor(name: string, args: ShithubEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Environment", name, {}, opts);
    const { config, templates } = args;
    const { stack, region } = config;
    const roleOptions = roleOptionsOf(config);
    this.backups = new ShithubBackups(`${stack}-backups`, { stack, buckets: config.backups.buckets, production: config.production, ...(config.recovery !== undefined ? { recoverFrom: config.recovery.buckets } : {}) }, { parent: this });

    this.network = new ShithubNetwork(`${stack}-network`, { stack, region, ...(config.vpcIpRange ? { ipRange: config.vpcIpRange } : {}) }, { parent: this });
    this.hosts = config.hosts.hosts.map((spec) => new ShithubHost(spec.name, {
      stack,
      spec,
      region,
      image: config.image,
      platform: config.platform,
      roleOptions,
      swapGib: config.swapGib,
      vpcId: this.network.vpc.id,
      sshKeys: config.hosts.sshKeys,
      alertEmails: config.hosts.alertEmails,
      production: config.production,
    }, { parent: this }));
    const dbHost = this.hosts.find((h) => h.spec.roles.includes("db"))!; // checkTopology guarantees one

    this.firewalls = new ShithubFirewalls(`${stack}-firewalls`, {
      stack,
      hosts: config.hosts.hosts,
      adminCidrs: config.hosts.adminCidrs,
      roles: roleOptions,
      targets: Object.fromEntries(this.hosts.map((h) => [h.spec.name, { dropletId: h.droplet.id, privateIpv4: h.droplet.ipv4AddressPrivate }])),
      vpcRange: this.network.vpc.ipRange,
    }, { parent: this });

    this.docsSite = config.docsSite === undefined ? undefined : new ShithubDocsSite(`shithub-${stack}-docs`, {
      stack, bucket: config.docsSite.bucket, region: config.region, domain: config.domain, production: config.production,
      // In a takeover's standby the zone's names stay on the live box.
      ...(config.dnsZone !== undefined && !config.release.standby ? { dnsZone: config.dnsZone } : {}),
    }, { parent: this });
    const project = new digitalocean.Project(`shithub-${stack}`, {
      name: `shithub-${stack}`,
      description: `shithub ${stack}: ${config.domain}`,
      purpose: "Service or API",
      environment: config.production ? "Production" : "Staging",
      resources: [...this.hosts.flatMap((h) => h.projectUrns), ...Object.values(this.backups.buckets).map((b) => b.bucketUrn), ...(this.docsSite ? [this.docsSite.bucket.bucketUrn] : [])],
    }, { parent: this });
    // A reserved IP already pointing at a droplet cannot be moved into a project (412), so it
    // joins the project first and is assigned afterwards.
    for (const host of this.hosts) host.assignReservedIp([project]);

    // The database passwords: generated once, secret in state, never typed by anyone.
    const password = (role: string) => new random.RandomPassword(`shithub-${stack}-db-${role}`, { length: 32, special: false }, { parent: this }).result;
    // Each role's SCRAM salt, random and kept in state like the password: the verifier is stable.
    const salt = (role: string) => new random.RandomBytes(`shithub-${stack}-db-${role}-salt`, { length: 16 }, { parent: this }).base64;
    const database = { appPassword: password("app"), backupPassword: password("backup"), appSalt: salt("app"), backupSalt: salt("backup") };
    const urlFor = (user: string, pw: pulumi.Output<string>, host: ShithubHost): pulumi.Output<string> =>
      pulumi.secret(pulumi.all([pw, dbHost.droplet.ipv4AddressPrivate]).apply(([p, ip]) => databaseUrl(user, p, host === dbHost, ip)));

    const observerKey = this.backups.keys.observer;
    const backupObserver = pulumi.secret(pulumi.all([observerKey.accessKey, observerKey.secretKey, this.backups.buckets.backups.name, this.backups.buckets["backups-dr"].name])
      .apply(([accessKey, secretKey, backupsBucket, backupsDrBucket]) => ({
        provider: "DigitalOcean",
        endpoint: bucketEndpoint(config.backups.buckets, "backups"),
        drEndpoint: bucketEndpoint(config.backups.buckets, "backups-dr"),
        accessKey, secretKey, backupsBucket, backupsDrBucket,
      })));
    const bucketName = (id: BucketId) => this.backups.buckets[id].name;
    const reposKey = this.backups.keys.repos;
    const reposBackup = pulumi.secret(pulumi.all([reposKey.accessKey, reposKey.secretKey, bucketName("repos"), config.backups.reposPassword.reveal()])
      .apply(([accessKey, secretKey, bucket, password]) => ({ endpoint: `https://${bucketEndpoint(config.backups.buckets, "repos")}`, bucket, accessKey, secretKey, password })));
    const drKey = this.backups.keys["dr-sync"];
    const drSync = pulumi.secret(pulumi.all([drKey.accessKey, drKey.secretKey,
      pulumi.all([bucketName("backups"), bucketName("backups-dr"), bucketName("wal"), bucketName("wal-dr"), bucketName("repos"), bucketName("repos-dr"), bucketName("objects"), bucketName("objects-dr")])])
      .apply(([accessKey, secretKey, [backups, backupsDr, wal, walDr, repos, reposDr, objects, objectsDr]]) => ({
        provider: "DigitalOcean",
        endpoint: bucketEndpoint(config.backups.buckets, "backups"),
        drEndpoint: bucketEndpoint(config.backups.buckets, "backups-dr"),
        accessKey, secretKey,
        buckets: { backups, backupsDr, wal, walDr, repos, reposDr, objects, objectsDr },
      })));
    const { recovery: recoverySource } = config;
    const recoveryKey = this.backups.recoveryKey;
    const recovery = recoverySource === undefined || recoveryKey === undefined ? undefined
      : pulumi.secret(pulumi.all([recoveryKey.accessKey, recoveryKey.secretKey, this.backups.keys.app.accessKey, this.backups.keys.app.secretKey, bucketName("objects"), config.backups.reposPassword.reveal()])
        .apply(([accessKey, secretKey, appAccessKey, appSecretKey, objects, reposPassword]) => recoveryInputs(recoverySource,
          { url: `https://${bucketEndpoint(config.backups.buckets, "objects")}`, objects, accessKey: appAccessKey, secretKey: appSecretKey },
          { accessKey, secretKey }, reposPassword, config.platform.postgresMajor)));
    this.roleSteps = new ShithubRoleSteps(`${stack}-roles`, {
      config, hosts: this.hosts, roleOptions, after: [this.firewalls], database, backupObserver, reposBackup, drSync, ...(recovery !== undefined ? { recovery } : {}),
    }, { parent: this });
    const dbReady = this.roleSteps.of("db");
    this.backupSteps = new ShithubBackupSteps(`${stack}-backup-steps`, {
      config,
      hosts: this.hosts,
      backups: this.backups,
      databaseUrlFor: (host) => urlFor(BACKUP_USER, database.backupPassword, host),
      after: [this.firewalls, ...dbReady],
    }, { parent: this });

    // Env files per app host: the same settings, but each host reaches the database its own way.
    this.envFileNames = Object.fromEntries(ENV_FILES.map((f) => [f, renderEnvFile(templates[f], config.env, config.version).names])) as Record<EnvFileName, string[]>;
    const appKey = pulumi.all([this.backups.keys.app.accessKey, this.backups.keys.app.secretKey]);
    const appHosts = this.hosts.filter((h) => h.spec.roles.includes("app"));
    const envFiles = new Map(appHosts.map((host) => {
      const known = pulumi.all([appKey, urlFor(APP_USER, database.appPassword, host)])
        .apply(([[s3AccessKey, s3SecretKey], url]) => resolveDeferred(config.env, { s3AccessKey, s3SecretKey, databaseUrl: url }));
      const files = Object.fromEntries(ENV_FILES.map((file) => [file, {
        path: envFilePath(file),
        content: pulumi.secret(known.apply((values) => renderEnvFile(templates[file], values, config.version).content)),
        names: this.envFileNames[file],
      }])) as Record<EnvFileName, HostFile>;
      return [host.spec.name, files] as const;
    }));

    this.service = new ShithubService(`${stack}-shithubd`, {
      config,
      hosts: appHosts,
      envContents: (host) => {
        const files = envFiles.get(host)!;
        return { web: files.web.content, worker: files.worker.content };
      },
      // After the db host's setups: the database, its roles, and the WAL archiving whose first
      // setup restarts PostgreSQL (a worker starting then exits, and the release fails).
      after: [this.firewalls, ...dbReady, ...this.backupSteps.databaseRestarts],
      // The edge's settings (how long it holds a request while shithubd restarts) are in force
      // before a restart they guard: with both changed in one up, the engine would run them at once.
      hostAfter: (host) => this.roleSteps.onHost(host, "edge"),
      gate: this.backupSteps.gate,
      deployer: args.deployer,
    }, { parent: this });
    this.backupSteps.postReleaseDrill(config, this.service.releases.slice(-1));

    const steps = [this.service.hostFiles, this.roleSteps.hostFiles, this.backupSteps.hostFiles];
    this.hostFiles = this.hosts.flatMap((h) => [
      { host: h.spec.name, file: h.userData },
      ...Object.values(envFiles.get(h.spec.name) ?? {}).map((file) => ({ host: h.spec.name, file })),
      ...[envFiles.get(h.spec.name)?.web].flatMap((web) => web === undefined ? [] :
        [{ host: h.spec.name, file: { path: SSH_ENV_PATH, content: pulumi.secret(web.content.apply(sshEnvOf)), names: web.names.filter(sshNeeds) } }]),
      ...steps.flatMap((files) => files.filter((f) => f.host === h.spec.name)),
    ]);

    const appIps = this.hosts.flatMap((h) => (h.reservedIp ? [h.reservedIp.ipAddress] : []));
    const names = dnsNames(config.domain, config.dnsZone);
    const mail = config.mailDns !== undefined ? mailDnsRecords(config.mailDns) : [];
    this.dnsRecords = [
      ...names.flatMap((n) => appIps.map((ip) => ({ type: "A" as const, name: n.fqdn, value: ip }))),
      ...mail.map((r) => ({ type: r.type, name: fqdnOf(r, config.domain), value: r.value })),
    ];
    // In a takeover's standby the name stays on the live box: the records come with the switch.
    if (config.dnsZone !== undefined && !config.release.standby) {
      const zone = config.dnsZone;
      names.forEach((n) => appIps.forEach((ip, i) => {
        new digitalocean.DnsRecord(`${n.fqdn}-a-${i}`, { domain: zone, type: "A", name: n.inZone ?? "@", value: ip, ttl: 300 }, { parent: this });
      }));
      for (const r of mail) {
        new digitalocean.DnsRecord(`${fqdnOf(r, config.domain)}-${r.type.toLowerCase()}`, { domain: zone, type: r.type, name: nameInZone(fqdnOf(r, config.domain), zone), value: r.value, ttl: 300 }, { parent: this });
      }
    }

    const check = new digitalocean.UptimeCheck(`shithub-${stack}-https`, {
      name: `shithub-${stack}-https`,
      // /healthz through the edge: TLS, Caddy and shithubd all answer (the real deployment's check).
      target: `https://${config.domain}/healthz`,
      type: "https",
      regions: ["us_east", "eu_west"],
      enabled: true,
    }, { parent: this });
    const notifications = [{ emails: [...config.hosts.alertEmails] }];
    // The real deployment's: down from every region (one region's probe failing alone is the
    // probe's network), the certificate, and the latency users see.
    new digitalocean.UptimeAlert(`shithub-${stack}-down`, {
      checkId: check.id,
      name: `shithub ${stack} is down (all regions)`,
      type: "down_global",
      comparison: "greater_than",
      threshold: 0,
      period: "5m",
      notifications,
    }, { parent: this });
    new digitalocean.UptimeAlert(`shithub-${stack}-tls-expiry`, {
      checkId: check.id,
      name: `shithub ${stack} TLS certificate expires within 14 days`,
      type: "ssl_expiry",
      comparison: "less_than",
      threshold: 14,
      period: "5m",
      notifications,
    }, { parent: this });
    new digitalocean.UptimeAlert(`shithub-${stack}-latency`, {
      checkId: check.id,
      name: `shithub ${stack} latency above 2 s`,
      type: "latency",
      comparison: "greater_than",
      threshold: 2000,
      period: "5m",
      notifications,
    }, { parent: this });
    this.registerOutputs({});
  }
}

import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/stackConfig";
import { dnsNames } from "./hosts/dns";
import { ShithubBackups } from "./backups/backups";
import { ShithubBackupSteps } from "./backups/backupSteps";
import { envFilePath, renderEnvFile } from "./env/envFile";
import { resolveDeferred } from "./env/envValues";
import { ShithubHost } from "./hosts/host";
import type { HostFile } from "./hosts/hostFile";
import { ShithubFirewalls, ShithubNetwork } from "./hosts/network";
import { ShithubService } from "./release/releaseSteps";
import { ENV_FILES } from "./env/envTemplate";
import type { EnvFileName, EnvTemplate } from "./env/envTemplate";

export interface ShithubEnvironmentArgs {
  readonly config: StackConfig;
  readonly templates: Readonly<Record<EnvFileName, EnvTemplate>>;
}


/** An A record to create, in DigitalOcean or (when the zone is elsewhere) by hand. */
export interface DnsRecordOutput {
  readonly type: "A";
  readonly name: string;
  readonly value: pulumi.Output<string>;
}

/**
 * One deployment environment of shithub (a stack): its VPC, hosts, firewalls, project, DNS,
 * uptime check, rendered env files and shithubd's release steps. Backups hang under it later.
 */
export class ShithubEnvironment extends pulumi.ComponentResource {
  readonly envFiles: Readonly<Record<EnvFileName, HostFile>>;
  readonly hosts: readonly ShithubHost[];
  readonly network: ShithubNetwork;
  readonly firewalls: ShithubFirewalls;
  readonly service: ShithubService;
  readonly backups: ShithubBackups;
  readonly backupSteps: ShithubBackupSteps;
  readonly dnsRecords: readonly DnsRecordOutput[];
  /** Every file the program puts on each host: user data everywhere, env files on app hosts. */
  readonly hostFiles: ReadonlyArray<{ readonly host: string; readonly file: HostFile }>;

  constructor(name: string, args: ShithubEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Environment", name, {}, opts);
    const { config, templates } = args;
    const { stack, region } = config;
    this.backups = new ShithubBackups(`${stack}-backups`, { stack, buckets: config.backups.buckets, production: config.production }, { parent: this });
    // The env files wait for the runtime bucket's scoped key, which exists only once created.
    const appKey = pulumi.all([this.backups.keys.app.accessKey, this.backups.keys.app.secretKey]);
    const files = {} as Record<EnvFileName, HostFile>;
    for (const file of ENV_FILES) {
      const names = renderEnvFile(templates[file], config.env, config.version).names;
      const content = appKey.apply(([s3AccessKey, s3SecretKey]) =>
        renderEnvFile(templates[file], resolveDeferred(config.env, { s3AccessKey, s3SecretKey }), config.version));
      files[file] = { path: envFilePath(file), content: pulumi.secret(content.apply((r) => r.content)), names };
    }
    this.envFiles = files;

    this.network = new ShithubNetwork(`${stack}-network`, { stack, region, ...(config.vpcIpRange ? { ipRange: config.vpcIpRange } : {}) }, { parent: this });
    this.hosts = config.hosts.hosts.map((spec) => new ShithubHost(spec.name, {
      stack,
      spec,
      region,
      image: config.image,
      swapGib: config.swapGib,
      vpcId: this.network.vpc.id,
      sshKeys: config.hosts.sshKeys,
      alertEmails: config.hosts.alertEmails,
      production: config.production,
    }, { parent: this }));

    this.firewalls = new ShithubFirewalls(`${stack}-firewalls`, {
      stack,
      hosts: config.hosts.hosts,
      adminCidrs: config.hosts.adminCidrs,
      targets: Object.fromEntries(this.hosts.map((h) => [h.spec.name, { dropletId: h.droplet.id, privateIpv4: h.droplet.ipv4AddressPrivate }])),
    }, { parent: this });

    const project = new digitalocean.Project(`shithub-${stack}`, {
      name: `shithub-${stack}`,
      description: `shithub ${stack}: ${config.domain}`,
      purpose: "Service or API",
      environment: config.production ? "Production" : "Staging",
      resources: [...this.hosts.flatMap((h) => h.projectUrns), ...Object.values(this.backups.buckets).map((b) => b.bucketUrn)],
    }, { parent: this });
    // A reserved IP already pointing at a droplet cannot be moved into a project (412), so it
    // joins the project first and is assigned afterwards.
    for (const host of this.hosts) host.assignReservedIp([project]);

    this.backupSteps = new ShithubBackupSteps(`${stack}-backup-steps`, { config, hosts: this.hosts, backups: this.backups, after: [this.firewalls] }, { parent: this });
    this.service = new ShithubService(`${stack}-shithubd`, {
      config,
      hosts: this.hosts.filter((h) => h.spec.roles.includes("app")),
      envContents: { web: files.web.content, worker: files.worker.content },
      after: [this.firewalls],
      gate: this.backupSteps.gate,
    }, { parent: this });
    this.backupSteps.postReleaseDrill(config, this.service.releases.slice(-1));

    this.hostFiles = this.hosts.flatMap((h) => [
      { host: h.spec.name, file: h.userData },
      ...(h.spec.roles.includes("app") ? ENV_FILES.map((f) => ({ host: h.spec.name, file: files[f] })) : []),
      ...this.service.hostFiles.filter((f) => f.host === h.spec.name),
      ...this.backupSteps.hostFiles.filter((f) => f.host === h.spec.name),
    ]);

    const appIps = this.hosts.flatMap((h) => (h.reservedIp ? [h.reservedIp.ipAddress] : []));
    const names = dnsNames(config.domain, config.dnsZone);
    this.dnsRecords = names.flatMap((n) => appIps.map((ip) => ({ type: "A" as const, name: n.fqdn, value: ip })));
    if (config.dnsZone !== undefined) {
      const zone = config.dnsZone;
      names.forEach((n) => appIps.forEach((ip, i) => {
        new digitalocean.DnsRecord(`${n.fqdn}-a-${i}`, { domain: zone, type: "A", name: n.inZone ?? "@", value: ip, ttl: 300 }, { parent: this });
      }));
    }

    const check = new digitalocean.UptimeCheck(`shithub-${stack}-https`, {
      name: `shithub-${stack}-https`,
      target: `https://${config.domain}/`,
      type: "https",
      regions: ["us_east", "eu_west"],
      enabled: true,
    }, { parent: this });
    const notifications = [{ emails: [...config.hosts.alertEmails] }];
    new digitalocean.UptimeAlert(`shithub-${stack}-down`, {
      checkId: check.id,
      name: `shithub ${stack} is down`,
      type: "down",
      period: "2m",
      notifications,
    }, { parent: this });
    new digitalocean.UptimeAlert(`shithub-${stack}-tls-expiry`, {
      checkId: check.id,
      name: `shithub ${stack} TLS certificate expires within 14 days`,
      type: "ssl_expiry",
      comparison: "less_than",
      threshold: 14,
      period: "2m",
      notifications,
    }, { parent: this });
    this.registerOutputs({});
  }
}

import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DATA_LABEL, renderUserData, USER_DATA_PATH } from "./bootstrap";
import type { RoleOptions } from "../roles";
import type { HostFile } from "./hostFile";
import type { Platform } from "./platform";
import type { HostSpec } from "./topology";

export interface ShithubHostArgs {
  readonly stack: string;
  readonly spec: HostSpec;
  readonly region: string;
  readonly image: string;
  readonly platform: Platform;
  readonly roleOptions: RoleOptions;
  readonly swapGib: number;
  readonly vpcId: pulumi.Input<string>;
  readonly sshKeys: readonly string[];
  readonly alertEmails: readonly string[];
  /** Production: droplet, volume and reserved IP are protected; the volume outlives the stack. */
  readonly production: boolean;
}

/**
 * DigitalOcean's resource alerts per host, over 10 minutes, with the real deployment's thresholds:
 * [metric, alert type, threshold, unit]. They need nothing of the monitoring host, so they still
 * mail when it is the host in trouble.
 */
const ALERTS: ReadonlyArray<readonly [string, string, number, string]> = [
  ["cpu", "v1/insights/droplet/cpu", 80, "%"],
  ["memory", "v1/insights/droplet/memory_utilization_percent", 90, "%"],
  ["disk", "v1/insights/droplet/disk_utilization_percent", 80, "%"],
  ["load1", "v1/insights/droplet/load_1", 4, ""],
];

export function hostTags(stack: string, spec: HostSpec): string[] {
  return ["shithub", `shithub-${stack}`, ...spec.roles.map((r) => `shithub-${r}`)];
}

/**
 * One droplet and what belongs to it alone: its data volume and reserved IP (app hosts), and
 * its CPU, memory and disk alerts. Every droplet input is bootstrap-only and stable across
 * releases; day-2 changes reach the host through the release step, never through a rebuild.
 */
export class ShithubHost extends pulumi.ComponentResource {
  readonly droplet: digitalocean.Droplet;
  readonly volume?: digitalocean.Volume;
  readonly reservedIp?: digitalocean.ReservedIp;
  /** Done once the data volume is attached (the release step needs /data). */
  readonly ready: pulumi.Resource[];
  /** DigitalOcean URNs (not Pulumi URNs) of what goes into the project. */
  readonly projectUrns: pulumi.Output<string>[];
  readonly spec: HostSpec;
  /** The cloud-init user data, as the droplet keeps it (a secret: it holds the host's private key). */
  readonly userData: HostFile;
  /** The SSH host key every connection to this host verifies (authorized_keys format). */
  readonly hostPublicKey: pulumi.Output<string>;

  constructor(name: string, args: ShithubHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Host", name, {}, opts);
    const { spec, production } = args;
    this.spec = spec;
    const keep: pulumi.CustomResourceOptions = { parent: this, protect: production };
    // The host key exists before the droplet: cloud-init installs it, so the first connection is
    // verified like every later one. A key pinned in config (a host made before this) wins.
    const hostKey = new tls.PrivateKey(`${spec.name}-host-key`, { algorithm: "ED25519" }, { parent: this, protect: production });
    const userData = pulumi.secret(pulumi.all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh]).apply(([privateKeyOpenssh, publicKeyOpenssh]) =>
      renderUserData(spec, args.swapGib, args.platform, args.roleOptions, { privateKeyOpenssh, publicKeyOpenssh })));
    this.userData = { path: USER_DATA_PATH, content: userData, names: [] };
    this.hostPublicKey = spec.hostKey !== undefined ? pulumi.output(spec.hostKey) : hostKey.publicKeyOpenssh.apply((k) => k.trim());

    this.droplet = new digitalocean.Droplet(spec.name, {
      name: spec.name,
      region: args.region,
      size: spec.size,
      image: args.image,
      vpcUuid: args.vpcId,
      sshKeys: [...args.sshKeys],
      monitoring: true,
      tags: hostTags(args.stack, spec),
      userData,
    }, {
      ...keep,
      // Each of these is ForceNew in the provider, i.e. a rebuild that loses the root disk:
      // userData: bootstrap edits apply to new hosts only (existing ones change through the release step);
      // sshKeys: DigitalOcean cannot change keys in place; rotate authorized_keys over SSH;
      // image: a newer image slug must not rebuild a running host.
      ignoreChanges: ["userData", "sshKeys", "image"],
    });
    const urns: pulumi.Output<string>[] = [this.droplet.dropletUrn];
    const ready: pulumi.Resource[] = [this.droplet];

    if (spec.volume !== undefined) {
      this.volume = new digitalocean.Volume(spec.volume.name, {
        name: spec.volume.name,
        region: args.region,
        size: spec.volume.sizeGib,
        initialFilesystemType: "ext4",
        initialFilesystemLabel: DATA_LABEL,
        description: `shithub ${args.stack} state (/data on ${spec.name}: ${spec.roles.includes("db") ? "PostgreSQL" : "repositories"})`,
      }, { ...keep, retainOnDelete: production });
      ready.push(new digitalocean.VolumeAttachment(`${spec.volume.name}-on-${spec.name}`, {
        dropletId: this.droplet.id.apply(Number),
        volumeId: this.volume.id,
      }, { parent: this }));
      urns.push(this.volume.volumeUrn);
    }

    if (spec.roles.includes("app")) {
      this.reservedIp = new digitalocean.ReservedIp(`${spec.name}-ip`, { region: args.region }, keep);
      urns.push(this.reservedIp.reservedIpUrn);
    }

    for (const [metric, type, value, unit] of ALERTS) {
      new digitalocean.MonitorAlert(`${spec.name}-${metric}`, {
        description: `${spec.name}: ${metric} above ${value}${unit} for 10 minutes`,
        type,
        compare: "GreaterThan",
        value,
        window: "10m",
        entities: [this.droplet.id],
        alerts: { emails: [...args.alertEmails] },
        enabled: true,
      }, { parent: this });
    }
    this.projectUrns = urns;
    this.ready = ready;
    this.registerOutputs({});
  }

  /** Points the reserved IP at the droplet; call once the IP is in the project (see environment.ts). */
  assignReservedIp(dependsOn: pulumi.Resource[]): void {
    if (this.reservedIp === undefined) return;
    new digitalocean.ReservedIpAssignment(`${this.spec.name}-ip-assignment`, {
      ipAddress: this.reservedIp.ipAddress,
      dropletId: this.droplet.id.apply(Number),
    }, { parent: this, dependsOn });
  }
}

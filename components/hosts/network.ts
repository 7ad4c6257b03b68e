import * as digitalocean from "@pulumi/digitalocean";
import type * as inputs from "@pulumi/digitalocean/types/input";
import * as pulumi from "@pulumi/pulumi";
import { ANYWHERE, firewallPlans } from "./firewallRules";
import type { FirewallPlan, InboundRule, OutboundRule } from "./firewallRules";
import type { RoleOptions } from "../roles";
import type { HostSpec } from "./topology";

export interface ShithubNetworkArgs {
  readonly stack: string;
  readonly region: string;
  readonly ipRange?: string;
}

/** The environment's VPC: every droplet joins it, so Postgres traffic stays on private addresses. */
export class ShithubNetwork extends pulumi.ComponentResource {
  readonly vpc: digitalocean.Vpc;

  constructor(name: string, args: ShithubNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Network", name, {}, opts);
    this.vpc = new digitalocean.Vpc(`shithub-${args.stack}`, {
      name: `shithub-${args.stack}`,
      region: args.region,
      description: `shithub ${args.stack}`,
      ...(args.ipRange !== undefined ? { ipRange: args.ipRange } : {}),
    }, { parent: this });
    this.registerOutputs({});
  }
}

/** What the firewalls need to know of each droplet. */
export interface FirewallTarget {
  readonly dropletId: pulumi.Input<string>;
  readonly privateIpv4: pulumi.Input<string>;
}

export interface ShithubFirewallsArgs {
  readonly stack: string;
  readonly hosts: readonly HostSpec[];
  readonly adminCidrs: readonly string[];
  readonly roles: RoleOptions;
  readonly targets: Readonly<Record<string, FirewallTarget>>;
  /** The VPC's range (DigitalOcean's pick when the stack sets none). */
  readonly vpcRange: pulumi.Input<string>;
}


/**
 * DigitalOcean cloud firewalls of the environment, one per plan of `firewallPlans`. They
 * select droplets by id, not by tag: tags such as `shithub-app` are shared by every
 * environment in the account, so a tag-selected firewall of staging would also open production.
 */
export class ShithubFirewalls extends pulumi.ComponentResource {
  readonly plans: readonly FirewallPlan[];

  constructor(name: string, args: ShithubFirewallsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Firewalls", name, {}, opts);
    this.plans = firewallPlans(args.hosts, args.adminCidrs, args.roles);
    const target = (host: string): FirewallTarget => {
      const t = args.targets[host];
      if (t === undefined) throw new Error(`firewall plan names ${host}, which has no droplet`);
      return t;
    };
    const inbound = (rule: InboundRule): inputs.FirewallInboundRule => ({
      protocol: rule.protocol,
      portRange: rule.ports,
      sourceAddresses: rule.source.kind === "cidrs"
        ? [...rule.source.cidrs]
        : rule.source.hosts.map((h) => pulumi.interpolate`${target(h).privateIpv4}/32`),
    });
    const outbound = (rule: OutboundRule): inputs.FirewallOutboundRule => ({
      protocol: rule.protocol,
      ...(rule.ports !== undefined ? { portRange: rule.ports } : {}),
      destinationAddresses: rule.destination === "anywhere" ? [...ANYWHERE] : rule.destination === "vpc" ? [args.vpcRange] : [...rule.destination.cidrs],
    });
    for (const plan of this.plans) {
      const fwName = `shithub-${args.stack}-${plan.id}`;
      new digitalocean.Firewall(fwName, {
        name: fwName,
        dropletIds: plan.hosts.map((h) => pulumi.output(target(h).dropletId).apply(Number)),
        inboundRules: plan.inbound.map(inbound),
        ...(plan.outbound.length > 0 ? { outboundRules: plan.outbound.map(outbound) } : {}),
      }, { parent: this });
    }
    this.registerOutputs({});
  }
}

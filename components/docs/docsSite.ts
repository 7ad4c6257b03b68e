import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { nameInZone } from "../hosts/dns";

export interface DocsSiteArgs {
  readonly stack: string;
  /** The bucket's name: `<bucketPrefix>-docs`. */
  readonly bucket: string;
  readonly region: string;
  readonly domain: string;
  /** The DigitalOcean DNS zone holding `domain`: the site is then at `docs.<domain>`, with a certificate DigitalOcean issues there. */
  readonly dnsZone?: string;
  readonly production: boolean;
}

/**
 * shithub's documentation site: a public-read Spaces bucket (shithubd's docs build uploads to it)
 * behind DigitalOcean's CDN, at `docs.<domain>` when the stack manages the zone, else at the CDN's
 * own name. Nothing of it is a secret or anyone's data; still, a release never replaces it.
 */
export class ShithubDocsSite extends pulumi.ComponentResource {
  readonly bucket: digitalocean.SpacesBucket;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DocsSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:DocsSite", name, {}, opts);
    const keep = { parent: this, protect: args.production, retainOnDelete: args.production };
    this.bucket = new digitalocean.SpacesBucket(args.bucket, { name: args.bucket, region: args.region, acl: "public-read", forceDestroy: false }, keep);
    if (args.dnsZone === undefined) {
      const cdn = new digitalocean.Cdn(`${args.bucket}-cdn`, { origin: this.bucket.bucketDomainName, ttl: 3600 }, { parent: this });
      this.url = pulumi.interpolate`https://${cdn.endpoint}`;
    } else {
      const fqdn = `docs.${args.domain}`;
      const certificate = new digitalocean.Certificate(`${args.bucket}-certificate`, { name: `shithub-${args.stack}-docs`, type: "lets_encrypt", domains: [fqdn] }, { parent: this });
      const cdn = new digitalocean.Cdn(`${args.bucket}-cdn`, {
        origin: this.bucket.bucketDomainName, ttl: 3600, customDomain: fqdn, certificateName: certificate.name,
      }, { parent: this });
      new digitalocean.DnsRecord(`${fqdn}-cname`, { domain: args.dnsZone, type: "CNAME", name: nameInZone(fqdn, args.dnsZone), value: pulumi.interpolate`${cdn.endpoint}.`, ttl: 300 }, { parent: this });
      this.url = pulumi.output(`https://${fqdn}`);
    }
    this.registerOutputs({});
  }
}

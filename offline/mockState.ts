import { createHash } from "node:crypto";

/** A stable number from a resource's identity: same program, same ids and addresses, every run. */
function stableNumber(type: string, name: string): number {
  return parseInt(createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 8), 16);
}

/**
 * What the engine would return for a resource: its inputs plus the provider-computed outputs the
 * program reads (ids, DigitalOcean URNs, addresses). Public addresses come from the
 * documentation ranges (RFC 5737), so nothing in a plan looks like a real host.
 */
export function mockResource(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
  const n = stableNumber(type, name);
  const id = String(100000000 + (n % 900000000));
  const octet = (shift: number): number => ((n >>> shift) % 250) + 2;
  const extra: Record<string, unknown> = {};
  switch (type) {
    case "digitalocean:index/droplet:Droplet":
      extra.dropletUrn = `do:droplet:${id}`;
      extra.ipv4Address = `203.0.113.${octet(0)}`;
      extra.ipv4AddressPrivate = `10.${octet(8) % 200}.0.${octet(16)}`;
      break;
    case "digitalocean:index/volume:Volume":
      extra.volumeUrn = `do:volume:${id}`;
      break;
    case "digitalocean:index/reservedIp:ReservedIp":
      extra.ipAddress = `198.51.100.${octet(0)}`;
      extra.reservedIpUrn = `do:reservedip:198.51.100.${octet(0)}`;
      break;
    case "digitalocean:index/spacesKey:SpacesKey":
      extra.accessKey = `DO00MOCK${id}`;
      extra.secretKey = `mock-secret-${id}`;
      break;
    case "digitalocean:index/spacesBucket:SpacesBucket":
      extra.bucketUrn = `do:space:${inputs.name as string}`;
      break;
    case "digitalocean:index/vpc:Vpc":
      extra.vpcUrn = `do:vpc:${id}`;
      break;
  }
  return { id, state: { ...inputs, ...extra } };
}

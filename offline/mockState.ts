import { createHash } from "node:crypto";
import { ed25519KeyPair } from "./sshKeyPair";

/** A stable number from a resource's identity: same program, same ids and addresses, every run. */
function stableNumber(type: string, name: string): number {
  return parseInt(createHash("sha256").update(`${type}::${name}`).digest("hex").slice(0, 8), 16);
}

/** VPC ranges by mock id, so droplets get private addresses inside their VPC. */
const vpcRanges = new Map<string, string>();

function addressIn(range: string | undefined, host: number): string {
  const m = range === undefined ? null : /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(range);
  if (m === null) return `10.${(host >> 8) % 200}.0.${(host % 250) + 2}`;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const size = 2 ** (32 - Number(m[5]));
  const ip = base + 2 + (host % Math.max(1, size - 3));
  return [24, 16, 8, 0].map((shift) => (ip >>> shift) & 255).join(".");
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
      extra.ipv4AddressPrivate = addressIn(vpcRanges.get(String(inputs.vpcUuid)), n >>> 8);
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
      extra.bucketDomainName = `${inputs.name as string}.${inputs.region as string}.digitaloceanspaces.com`;
      break;
    case "digitalocean:index/cdn:Cdn":
      // DigitalOcean's CDN name for a Spaces origin: the bucket's, with cdn before the Spaces domain.
      extra.endpoint = String(inputs.origin).replace(/\.digitaloceanspaces\.com$/, ".cdn.digitaloceanspaces.com");
      break;
    case "tls:index/privateKey:PrivateKey":
      // A real key pair (the test cloud's droplets boot with it and sshd serves it), the same every run.
      Object.assign(extra, ed25519KeyPair(`${type}::${name}`));
      break;
    case "random:index/randomPassword:RandomPassword":
      // Alphanumeric like the real one (special: false), and plainly not a real password.
      extra.result = `mockPassword${id}`;
      break;
    case "random:index/randomBytes:RandomBytes": {
      // Fixed bytes per resource, as a real one's stay fixed in state.
      const bytes = createHash("sha256").update(`${type}::${name}`).digest().subarray(0, Number(inputs.length ?? 16));
      extra.base64 = bytes.toString("base64");
      extra.hex = bytes.toString("hex");
      break;
    }
    case "digitalocean:index/vpc:Vpc":
      extra.vpcUrn = `do:vpc:${id}`;
      // Unset: DigitalOcean picks a free range of the region, a /20 such as this one.
      if (typeof inputs.ipRange !== "string") extra.ipRange = "10.116.0.0/20";
      vpcRanges.set(id, String(inputs.ipRange ?? extra.ipRange));
      break;
  }
  return { id, state: { ...inputs, ...extra } };
}

import { isIP } from "node:net";

/** A CIDR as the set of addresses it names. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  /** The network in canonical form, e.g. 10.0.0.0/24 for 10.0.0.5/24. */
  readonly network: string;
}

const BITS = { 4: 32, 6: 128 } as const;

function ipv4ToBigInt(text: string): bigint {
  return text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(text: string): bigint {
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let t = text;
  if (v4 !== null) {
    const n = ipv4ToBigInt(v4[1]!);
    t = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = t.split("::");
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const h = groups(head);
  const tl = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill("0"), ...tl];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigIntToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
}

/** Parses a CIDR by meaning (an address the platform reads, a prefix that fits it); a string says what is wrong. */
export function parseCidr(text: string): AddressRange | string {
  // A zone index (fe80::1%eth0) names an interface of one machine, not a network a firewall or sshd can match.
  if (text.includes("%")) return "must not carry a zone index (%...): a firewall rule or sshd matches addresses, not one machine's interfaces";
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  const family = m === null ? 0 : isIP(m[1]!);
  if (m === null || (family !== 4 && family !== 6)) return "must be an IPv4 or IPv6 CIDR such as 203.0.113.10/32";
  const bits = BITS[family];
  const prefix = Number(m[2]);
  if (prefix > bits) return `has a prefix longer than an IPv${family} address (/${bits} at most)`;
  const address = family === 4 ? ipv4ToBigInt(m[1]!) : ipv6ToBigInt(m[1]!);
  const size = 1n << BigInt(bits - prefix);
  const first = address - (address % size);
  const network = `${bigIntToIp(first, family)}/${prefix}`;
  if (first !== address) return `has host bits set: the network it names is ${network}`;
  return { family, first, last: first + size - 1n, network };
}

/** How many addresses of each family the ranges admit together (overlaps counted once). */
export function unionSize(ranges: readonly AddressRange[]): { readonly 4: bigint; readonly 6: bigint } {
  const count = (family: 4 | 6): bigint => {
    const sorted = ranges.filter((r) => r.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    let total = 0n;
    let end = -1n;
    for (const r of sorted) {
      if (r.last <= end) continue;
      total += r.last - (r.first > end ? r.first : end + 1n) + 1n;
      end = r.last;
    }
    return total;
  };
  return { 4: count(4), 6: count(6) };
}

/**
 * The most addresses an admin network list may admit in production: a /8 of IPv4, a /24 of IPv6.
 * Admin networks are offices and VPN exits; a list that admits more is the internet in effect,
 * whether it says 0.0.0.0/0 or 0.0.0.0/1 and 128.0.0.0/1.
 */
export const ADMIN_LIMIT = { 4: 1n << 24n, 6: 1n << 104n } as const;

/** RFC 1918's private IPv4 networks: a VPC's range must lie inside one of them. */
const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c) as AddressRange);

/** Why `text` cannot be a VPC's range (DigitalOcean: private IPv4, /16 to /28), read as a set of addresses. */
export function vpcRangeProblem(text: string): string | undefined {
  const range = parseCidr(text);
  if (typeof range === "string") return `${range}; a VPC takes a private IPv4 range such as 10.10.0.0/24`;
  const prefix = Number(range.network.split("/")[1]);
  if (range.family !== 4) return "must be an IPv4 range: DigitalOcean VPCs are IPv4";
  if (!PRIVATE_IPV4.some((p) => p.first <= range.first && range.last <= p.last)) return "must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)";
  if (prefix < 16 || prefix > 28) return "must be from /16 to /28, DigitalOcean's VPC sizes";
  return undefined;
}

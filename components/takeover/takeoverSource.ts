import { isIP } from "node:net";
import { parseCidr } from "../config/addressRanges";

/** Addresses no other machine reaches a box at: loopback, unspecified, link-local, multicast. */
const UNREACHABLE = ["127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "::1/128", "::/128", "fe80::/10", "ff00::/8"];

/** Why `text` is not an address the stack's hosts can reach the live box at, or undefined. */
export function takeoverSourceProblem(text: string): string | undefined {
  const family = isIP(text);
  if (family === 0) return "must be the live box's IPv4 or IPv6 address, such as 203.0.113.10 (no name, port or range)";
  const self = parseCidr(`${text}/${family === 4 ? 32 : 128}`);
  if (typeof self === "string") return self;
  for (const range of UNREACHABLE.map(parseCidr)) {
    if (typeof range !== "string" && range.family === self.family && self.first >= range.first && self.first <= range.last) {
      return `is in ${range.network}, an address no other machine reaches the live box at: give its public address`;
    }
  }
  return undefined;
}

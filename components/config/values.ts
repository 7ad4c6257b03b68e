import { isIP } from "node:net";
import type { ValueType } from "./catalogue";
import { mailboxProblem } from "./mailAddress";

/** Go's strconv.ParseBool, which shithubd uses; `yes`/`on` are errors there too. */
const GO_BOOLS = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);
/** Go's time.ParseDuration grammar. */
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$/;

/** True when the Go bool parser reads `text` as true. */
export function isTrue(text: string): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(text);
}

/** A host name as a resolver reads it (letters, digits, hyphens, dots), not free text. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Go's host:port, with a host that is an IP literal (IPv6 in brackets, no zone), a host name or
 * empty (every interface): the address reaches systemd's ExecStart, the Caddyfile and Prometheus
 * as well, where spaces, `%`, `#` or braces would be read as something else.
 */
export function hostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[2] ?? m[3] ?? "";
  if (m[2] !== undefined ? isIP(host) !== 6 : host !== "" && isIP(host) !== 4 && !HOST_NAME.test(host)) return undefined;
  return { host, port };
}

export function isLoopbackLiteral(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1";
  return false;
}

function base64Bytes(text: string): number | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, "base64").length;
}

/** Go's net.ParseCIDR, or a bare IP (shithubd makes it a /32 or /128): `300.1.2.3/24` and `10.0.0.0/33` are refused. */
function isCidrOrIp(text: string): boolean {
  const [address, bits, extra] = text.split("/");
  if (extra !== undefined || isIP(address!) === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address!) === 4 ? 32 : 128);
}

/** A CORS origin: scheme, host and optional port, nothing else (or `*`). */
function isOrigin(text: string): boolean {
  if (text === "*") return true;
  try {
    const url = new URL(text);
    return ["http:", "https:"].includes(url.protocol) && url.origin === text;
  } catch {
    return false;
  }
}

/** The items shithubd's loader makes of a comma-separated slice variable. */
export function listItems(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/** Go's int on the 64-bit hosts shithubd runs on: a larger value is a parse error at start. */
const GO_INT_MIN = -(2n ** 63n);
const GO_INT_MAX = 2n ** 63n - 1n;

function checkNumber(text: string, integer: boolean, min: number, max: number | undefined): string | undefined {
  const ok = integer ? /^-?\d+$/.test(text) : /^-?(\d+(\.\d*)?|\.\d+)$/.test(text);
  const what = integer ? "an integer" : "a number";
  const range = max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
  if (!ok) return `must be ${what} ${range}`;
  if (integer && (BigInt(text) < GO_INT_MIN || BigInt(text) > GO_INT_MAX)) return `must be ${what} ${range} that fits Go's int (at most ${GO_INT_MAX})`;
  const n = Number(text);
  if (n < min || (max !== undefined && n > max)) return `must be ${what} ${range}`;
  return undefined;
}

const NANOSECONDS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** What Go's time.ParseDuration makes of `text` in nanoseconds (approximately: for range checks). */
function durationNanoseconds(text: string): number {
  const sign = text.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const [, amount, unit] of text.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(amount) * NANOSECONDS[unit!]!;
  return sign * total;
}

function checkDuration(text: string): string | undefined {
  if (!GO_DURATION.test(text)) return "must be a Go duration such as 30s, 5m or 336h";
  const ns = durationNanoseconds(text);
  if (ns < 0) return "must not be negative: shithubd's timeouts, intervals and lifetimes are spans of time";
  if (ns > Number(GO_INT_MAX)) return "must be at most 2562047h (Go's time.ParseDuration refuses a longer one)";
  return undefined;
}

/**
 * Why `text` is not a valid value of `type` for shithubd, or undefined when it is.
 * The reason never quotes the value, so it is safe for secrets.
 */
export function checkValue(type: ValueType, text: string): string | undefined {
  switch (type.kind) {
    case "string":
      return undefined;
    case "bool":
      return GO_BOOLS.has(text) ? undefined : "must be true or false";
    case "int":
      return checkNumber(text, true, type.min, type.max);
    case "float":
      return checkNumber(text, false, type.min, type.max);
    case "duration":
      return checkDuration(text);
    case "url": {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return `must be an absolute URL (${type.schemes.join(" or ")})`;
      }
      const scheme = url.protocol.replace(/:$/, "");
      return type.schemes.includes(scheme) && url.hostname !== ""
        ? undefined
        : `must be an absolute URL (${type.schemes.join(" or ")})`;
    }
    case "hostPort":
      return hostPort(text) ? undefined : "must be host:port, e.g. 127.0.0.1:8080 (an IP address, [IPv6] or a host name, and a port from 1 to 65535)";
    case "mailbox":
      return mailboxProblem(text);
    case "loopbackHostPort": {
      const hp = hostPort(text);
      return hp && isLoopbackLiteral(hp.host)
        ? undefined
        : "must be a loopback IP literal and port, e.g. 127.0.0.1:6060 (shithubd refuses any other address, even localhost)";
    }
    case "base64Key32":
      return base64Bytes(text) === 32 ? undefined : "must be standard base64 of exactly 32 bytes (openssl rand -base64 32)";
    case "base64":
      return base64Bytes(text) !== undefined ? undefined : "must be standard base64";
    case "enum":
      return type.values.includes(text) ? undefined : `must be one of ${type.values.join(", ")}`;
    case "absPath":
      return text.startsWith("/") ? undefined : "must be an absolute path";
    case "list": {
      const bad = listItems(text).filter((item) => !(type.item === "cidr" ? isCidrOrIp(item) : isOrigin(item)));
      if (bad.length === 0) return undefined;
      return type.item === "cidr"
        ? `must be a comma-separated list of networks (CIDR such as 127.0.0.0/8) or addresses; ${bad.length} item(s) are neither`
        : `must be a comma-separated list of origins such as https://example.com (scheme, host, optional port); ${bad.length} item(s) are not`;
    }
    case "tomlOnly":
      return `${type.why}; shithubd refuses to start when it is set from the environment (set it in /etc/shithub/config.toml)`;
  }
}

import { isIP } from "node:net";
import { isDnsName } from "./dnsName";

/**
 * Mail addresses as their consumers read them: Caddy's ACME `email` (a Caddyfile token, in which
 * `{…}` is a placeholder, `{$…}` an environment variable and `#` a comment), the ACME server
 * (which refuses what is not a plain address), Alertmanager's `smtp_from` and `to` (Go's
 * net/mail) and shithubd's From header. RFC 5322 allows more in a local part than all of them
 * read alike, so an address here is the common ground: a local part of letters, digits and
 * `. _ + -` (dot-separated, as a dot-atom), and a host name. Nothing else reaches a file.
 */
const LOCAL_PART = /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*$/;
/** A display name of words: letters, digits, spaces and `. _ - '` (what needs no quoting anywhere). */
const DISPLAY_NAME = /^[A-Za-z0-9._'-]+( [A-Za-z0-9._'-]+)*$/;

const WHY = "letters, digits and . _ + - before the @, a host name after it (Caddy, the ACME server and Alertmanager read other characters differently)";

/** Why `text` is not a plain mail address (ops@example.org), or undefined. */
export function mailAddressProblem(text: string): string | undefined {
  const at = text.lastIndexOf("@");
  if (at <= 0) return `must be a mail address such as ops@example.org: ${WHY}`;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return `must be a mail address such as ops@example.org: ${WHY}`;
  if (isIP(domain) !== 0 || !isDnsName(domain)) return `must be a mail address such as ops@example.org: ${WHY}`;
  return undefined;
}

/**
 * Why `text` is not a mailbox, a sender as a From header writes it (`shithub <noreply@example.org>`
 * or a bare address), or undefined.
 */
export function mailboxProblem(text: string): string | undefined {
  const m = /^(.*?) ?<([^<>]*)>$/.exec(text);
  if (m === null) return mailAddressProblem(text) === undefined ? undefined : `must be a sender such as "shithub <noreply@example.org>" or a mail address: ${WHY}`;
  const [, name, address] = m;
  if (name !== "" && !DISPLAY_NAME.test(name!)) return "must have a display name of letters, digits, single spaces and . _ - ' before <address> (other characters need quoting that the sender's readers do not agree on)";
  return mailAddressProblem(address!);
}

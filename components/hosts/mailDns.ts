import { mailAddressProblem } from "../config/mailAddress";

/**
 * The DNS records Postmark needs to send the forge's mail from its domain: the DKIM key Postmark
 * generated (a TXT at `<selector>._domainkey`), the Return-Path (`pm-bounces` CNAME to Postmark),
 * SPF and DMARC. From `shithubd:mailDns`: {dkimSelector, dkimValue, dmarcReports?}.
 */
export interface MailDnsConfig {
  readonly dkimSelector: string;
  /** The TXT value as Postmark shows it: `k=rsa;p=<base64 public key>`. */
  readonly dkimValue: string;
  /** Where DMARC aggregate reports go (rua), when anyone reads them. */
  readonly dmarcReports?: string;
}

export interface MailDnsRecord {
  readonly type: "TXT" | "CNAME";
  /** Relative to the domain: `@` for the domain itself. */
  readonly name: string;
  readonly value: string;
}

export const POSTMARK_RETURN_PATH = "pm.mtasv.net.";
export const POSTMARK_SPF = "v=spf1 include:spf.mtasv.net ~all";

const FIELDS = ["dkimSelector", "dkimValue", "dmarcReports"];

/** The config, or what is wrong with it (a message for the key as a whole). */
export function parseMailDns(value: unknown): { config?: MailDnsConfig; problem?: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "must be a JSON object: {dkimSelector, dkimValue, dmarcReports?}" };
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) return { problem: `has ${unknown.map((k) => JSON.stringify(k)).join(", ")}, not a field of it (${FIELDS.join(", ")})` };
  const { dkimSelector, dkimValue, dmarcReports } = v;
  // A selector is one DNS label (Postmark's look like 20240101123456pm).
  if (typeof dkimSelector !== "string" || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(dkimSelector)) {
    return { problem: "dkimSelector must be the DKIM selector Postmark shows (one DNS label: lower-case letters, digits and -), e.g. 20240101123456pm" };
  }
  if (typeof dkimValue !== "string" || !/^k=rsa; ?p=[A-Za-z0-9+/]{40,}={0,2}$/.test(dkimValue)) {
    return { problem: "dkimValue must be the DKIM TXT value Postmark shows: k=rsa;p= and the base64 public key, on one line" };
  }
  if (dmarcReports !== undefined && (typeof dmarcReports !== "string" || mailAddressProblem(dmarcReports) !== undefined)) {
    return { problem: "dmarcReports must be one mail address such as dmarc-reports@example.org (it goes into the DMARC record's rua=mailto:)" };
  }
  return { config: { dkimSelector, dkimValue, ...(typeof dmarcReports === "string" ? { dmarcReports } : {}) } };
}

/** The records, named relative to the domain they sign for. */
export function mailDnsRecords(config: MailDnsConfig): MailDnsRecord[] {
  const dmarc = ["v=DMARC1", "p=none", ...(config.dmarcReports !== undefined ? [`rua=mailto:${config.dmarcReports}`] : []), "pct=100"].join("; ");
  return [
    { type: "TXT", name: `${config.dkimSelector}._domainkey`, value: config.dkimValue },
    { type: "CNAME", name: "pm-bounces", value: POSTMARK_RETURN_PATH },
    { type: "TXT", name: "@", value: POSTMARK_SPF },
    { type: "TXT", name: "_dmarc", value: dmarc },
  ];
}

/** A record's full name under `domain`. */
export function fqdnOf(record: MailDnsRecord, domain: string): string {
  return record.name === "@" ? domain : `${record.name}.${domain}`;
}

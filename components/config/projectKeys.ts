import { Region } from "@pulumi/digitalocean";
import { valid as validSemver } from "semver";
import { DEFAULT_IMAGE, describeImage, PLATFORMS } from "../hosts/platform";
import { vpcRangeProblem } from "./addressRanges";
import { artifactUrlProblem } from "./artifactUrl";
import { minisignKeyProblem } from "./minisignKey";
import { mailAddressProblem, mailboxProblem } from "./mailAddress";
import { isLowerCaseDnsName } from "./dnsName";
import { bucketNameProblem } from "../backups/bucketName";
import { publicKeyOf } from "../hosts/sshKeys";
import { overrideShapeProblem, stackReferenceProblem } from "../promotion/promotionValues";
import { canaryVerdictProblem } from "../promotion/canaryVerdict";
import { RELEASE_TAG } from "../release/releaseReport";
import { takeoverSourceProblem } from "../takeover/takeoverSource";
import { jsonValueOf } from "./problems";
import { parseMailDns } from "../hosts/mailDns";

/** The project's config namespace: `Pulumi.yaml` `name:`, so `shithubd:*` keys can be declared there. */
export const NAMESPACE = "shithubd";

/**
 * An infrastructure key of the `shithubd:` namespace (env vars are `shithubd:SHITHUB_*`).
 * Keys with a default are declared in Pulumi.yaml too (tests keep both in step); keys without
 * one are checked here only, so a missing one gets our message with its fix, not the CLI's.
 */
export interface ProjectKey {
  readonly name: string;
  readonly description: string;
  /** Its type in Pulumi.yaml when declared there. */
  readonly type: "string" | "integer" | "boolean";
  readonly default?: string;
  /** Neither required nor defaulted: absent means the feature is off. */
  readonly optional?: boolean;
  /** Must be set with `--secret`. */
  readonly secret?: boolean;
  /** A value to show in a fix command. */
  readonly example: string;
  readonly check: (value: string) => string | undefined;
}

const REGIONS: readonly string[] = Object.values(Region);

function wholeNumber(v: string, min: number, max: number): string | undefined {
  return /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `must be a whole number between ${min} and ${max}`;
}

/** A factor written as a decimal number, more than `min`. */
function ratioProblem(v: string, min: number, max: number): string | undefined {
  return /^\d+(\.\d+)?$/.test(v) && Number(v) > min && Number(v) <= max ? undefined : `must be a number over ${min} and at most ${max}, such as 1.5`;
}

/** systemd's TimeoutStartSec= for the migrating web unit: 0 would switch the timeout off. */
function startTimeoutProblem(v: string): string | undefined {
  const m = /^(\d+)(s|min|h)$/.exec(v);
  if (!m) return "must be a systemd time span such as 900s, 15min or 1h";
  const seconds = Number(m[1]) * { s: 1, min: 60, h: 3600 }[m[2] as "s" | "min" | "h"];
  if (seconds === 0) return "must be more than 0: systemd reads 0 as no timeout, and a hung migration would hold the release forever";
  if (seconds > 86_400) return "must be at most 24h: a migration that long is an outage, not a release";
  return undefined;
}

/** Paths the release step's curl requests on shithubd's address: each must reach that address and name one URL. */
function healthPathProblem(v: string): string | undefined {
  for (const path of v.split(" ")) {
    if (!path.startsWith("/")) return "must be one or more URL paths starting with /, separated by single spaces";
    let url: URL;
    try {
      url = new URL(path, "http://127.0.0.1:8080");
    } catch {
      return `${JSON.stringify(path)} is not a URL path`;
    }
    if (url.host !== "127.0.0.1:8080") return `${JSON.stringify(path)} would leave shithubd's address (a path starting with // names a host)`;
    if (url.pathname + url.search !== path) return `${JSON.stringify(path)} is not a normalised URL path (no . or .. segments, no #fragment, no characters a URL must escape)`;
    if (/[[\]{}]/.test(path)) return `${JSON.stringify(path)} must not contain [ ] { }: curl would read them as a pattern of several URLs`;
  }
  return undefined;
}

/**
 * An ACME directory as Caddy's `acme_ca` takes it: an https URL the WHATWG parser reads back
 * unchanged, so it holds no space, quote, brace (a Caddy placeholder), backslash or character
 * outside printable ASCII, and no credentials or fragment.
 */
function acmeDirectoryProblem(v: string): string | undefined {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return "must be an https URL of an ACME directory";
  }
  if (url.protocol !== "https:" || url.hostname === "") return "must be an https URL of an ACME directory";
  if (url.username !== "" || url.password !== "" || url.hash !== "") return "must be an https URL without credentials or #fragment";
  if (url.href !== v || /[{}"'`\\]/.test(v)) return "must be an https URL written as a URL parser writes it back (no spaces, quotes, braces, backslashes or characters outside printable ASCII: percent-encode them)";
  return undefined;
}


export const PROJECT_KEYS: readonly ProjectKey[] = [
  {
    name: "version",
    type: "string",
    description: "The shithubd release this stack runs, e.g. v1.8.0. A release is a change of this key.",
    example: "v1.8.0",
    check: (v) => (RELEASE_TAG.test(v) && validSemver(v) ? undefined : "must be a release tag such as v1.8.0"),
  },
  {
    name: "domain",
    type: "string",
    description: "Public DNS name of the forge; gives SHITHUB_AUTH__BASE_URL and SHITHUB_AUTH__SSH__HOST.",
    example: "shithub.example.org",
    check: (v) => (isLowerCaseDnsName(v) ? undefined : "must be a lower-case DNS name such as shithub.example.org"),
  },
  {
    name: "region",
    type: "string",
    description: "DigitalOcean region of the environment's hosts.",
    default: "nyc3",
    example: "nyc3",
    check: (v) => (REGIONS.includes(v) ? undefined : `must be a DigitalOcean region: ${REGIONS.join(", ")}`),
  },
  {
    name: "image",
    type: "string",
    description: "Droplet image of new hosts. Existing hosts keep theirs (a new image would rebuild them): a stack made on another image pins it.",
    default: DEFAULT_IMAGE,
    example: DEFAULT_IMAGE,
    // The roles install the distribution's packages (PostgreSQL's major version differs per image).
    check: (v) => (PLATFORMS.some((p) => p.image === v) ? undefined : `must be an image the roles support: ${PLATFORMS.map((p) => describeImage(p.image)).join(", ")}`),
  },
  {
    name: "swapGib",
    type: "integer",
    description: "Swap file size on every host, in GiB (0 for none).",
    default: "2",
    example: "2",
    check: (v) => wholeNumber(v, 0, 64),
  },
  {
    name: "dnsZone",
    type: "string",
    description: "A DigitalOcean-managed DNS zone holding shithubd:domain; unset: the records to create are stack outputs.",
    optional: true,
    example: "shithub.example.org",
    check: (v) => (isLowerCaseDnsName(v) ? undefined : "must be a lower-case DNS zone such as shithub.example.org"),
  },
  {
    name: "mailDns",
    type: "string",
    description: "The DNS records Postmark needs to send the forge's mail from shithubd:domain, from what Postmark shows: {dkimSelector, dkimValue, dmarcReports?}. Gives the DKIM TXT (<dkimSelector>._domainkey), the Return-Path CNAME (pm-bounces to pm.mtasv.net), SPF and DMARC (p=none; rua to dmarcReports): made in shithubd:dnsZone, or listed in the dnsRecords output to make by hand.",
    optional: true,
    example: "'{\"dkimSelector\":\"20240101123456pm\",\"dkimValue\":\"k=rsa;p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\",\"dmarcReports\":\"dmarc-reports@shithub.example.org\"}'",
    check: (v) => parseMailDns(jsonValueOf(v)).problem,
  },
  {
    name: "vpcIpRange",
    type: "string",
    description: "Private range of the environment's VPC (RFC 1918, /16 to /28); unset: DigitalOcean picks one.",
    optional: true,
    example: "10.10.0.0/24",
    check: vpcRangeProblem,
  },
  {
    name: "artifactUrl",
    type: "string",
    description: "Where app hosts download the shithubd binary; {version} stands for shithubd:version. Needs shithubd:artifactSha256.",
    optional: true,
    example: "https://releases.example.org/shithubd/{version}/shithubd-linux-amd64",
    check: artifactUrlProblem,
  },
  {
    name: "artifactSha256",
    type: "string",
    description: "sha256 of the binary of the pinned version, as published with the release.",
    optional: true,
    example: "\"$(sha256sum shithubd-linux-amd64 | cut -d' ' -f1)\"",
    check: (v) => (/^[0-9a-f]{64}$/.test(v) ? undefined : "must be a sha256 in lower-case hex (64 characters)"),
  },
  {
    name: "artifactSigningKey",
    type: "string",
    description: "The minisign public key shithubd's releases are signed with: each app host then also checks <artifactUrl>.minisig with it, on top of the sha256.",
    optional: true,
    example: "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3",
    check: minisignKeyProblem,
  },
  {
    name: "artifactPath",
    type: "string",
    description: "A shithubd binary built by the operator, uploaded to each app host instead of a download.",
    optional: true,
    example: "./bin/shithubd",
    check: (v) => (v.trim() === v && v !== "" ? undefined : "must be a path to a file"),
  },
  {
    name: "sshPrivateKey",
    type: "string",
    description: "This stack's deploy key: every step logs in to root@ each host with it, and the access step keeps its public half (and only it, with shithubd:authorizedKeys) in root's authorized_keys. One per stack; docs/runbooks/rotate-keys-and-secrets.md has the rotation.",
    secret: true,
    example: "\"$(cat ~/.ssh/shithub_deploy)\"",
    check: (v) => (publicKeyOf(v) !== undefined ? undefined : "must be an unencrypted ed25519 or RSA private key, as ssh-keygen writes it (OpenSSH or PEM)"),
  },
  {
    name: "reposBackupPassword",
    type: "string",
    description: "The password of the repositories' restic repository (restic encrypts every snapshot with it). Keep a copy away from the stack: a restore after losing everything needs it. Changing it does not re-key the repository: docs/runbooks/rotate-keys-and-secrets.md has how.",
    secret: true,
    example: "\"$(openssl rand -base64 32)\"",
    // restic.env is read by systemd (EnvironmentFile=) and sourced by bash (the setup and drill
    // scripts): only characters both read the same, unquoted, are taken.
    check: (v) => (!/^[A-Za-z0-9+/=._~-]*$/.test(v) ? "may hold only letters, digits and + / = . _ ~ - (systemd and bash both read restic.env, and read other characters differently): openssl rand -base64 32 makes one"
      : v.length >= 24 ? undefined : `is ${v.length} characters: restic's key derivation is only as strong as the password, use at least 24 (openssl rand -base64 32)`),
  },
  {
    name: "healthPath",
    type: "string",
    description: "Paths (space-separated) the release step polls on shithubd's address before it calls a web restart good; /readyz checks the database.",
    default: "/readyz",
    example: "'/readyz /healthz'",
    check: healthPathProblem,
  },
  {
    name: "healthTimeoutSeconds",
    type: "integer",
    description: "How long a restarted unit has to become healthy before the release swaps back.",
    default: "60",
    example: "60",
    check: (v) => wholeNumber(v, 5, 3600),
  },
  {
    name: "keepReleases",
    type: "integer",
    description: "Releases kept on each host (rollback to any of them needs no download).",
    default: "5",
    example: "5",
    check: (v) => wholeNumber(v, 2, 50),
  },
  {
    name: "migrationTimeout",
    type: "string",
    description: "systemd start timeout of the web unit on the migrating host, which bounds `shithubd migrate up`.",
    default: "15min",
    example: "15min",
    check: startTimeoutProblem,
  },
  {
    name: "production",
    type: "boolean",
    description: "Whether this stack is production; every production rule follows it (protected droplets, volumes and IPs; ACME certificates; admin networks; no post-release drill; SHITHUB_ENV=prod). Unset: true for a stack named production or prod.",
    optional: true,
    example: "true",
    check: (v) => (v === "true" || v === "false" ? undefined : "must be true or false"),
  },
  {
    name: "gitSsh",
    type: "boolean",
    description: "Serve git over SSH (git@<domain>) on the app hosts; gives SHITHUB_AUTH__SSH__ENABLED.",
    default: "true",
    example: "true",
    check: (v) => (v === "true" || v === "false" ? undefined : "must be true or false"),
  },
  {
    name: "docsSite",
    type: "boolean",
    description: "shithub's documentation site: a public-read Spaces bucket <bucketPrefix>-docs behind DigitalOcean's CDN, at docs.<domain> (a certificate DigitalOcean issues) when shithubd:dnsZone is set, else at the CDN's own name (output docsUrl).",
    default: "false",
    example: "true",
    check: (v) => (v === "true" || v === "false" ? undefined : "must be true or false"),
  },
  {
    name: "tls",
    type: "string",
    description: "How the edge gets its certificate: acme (Let's Encrypt or shithubd:acmeCaUrl) or internal (Caddy's own CA: test stacks only).",
    default: "acme",
    example: "acme",
    check: (v) => (v === "acme" || v === "internal" ? undefined : "must be acme or internal"),
  },
  {
    name: "acmeEmail",
    type: "string",
    description: "ACME account email of the edge's certificate; default: the first of shithubd:alertEmails.",
    optional: true,
    example: "ops@example.org",
    check: mailAddressProblem,
  },
  {
    name: "acmeCaUrl",
    type: "string",
    description: "ACME directory of another CA, e.g. Let's Encrypt's staging CA for a staging stack.",
    optional: true,
    example: "https://acme-staging-v02.api.letsencrypt.org/directory",
    check: acmeDirectoryProblem,
  },
  {
    name: "edgeWaitSeconds",
    type: "integer",
    description: "How long the edge holds a request while shithubd restarts (migration included) before it answers 503 with Retry-After.",
    default: "60",
    example: "60",
    check: (v) => wholeNumber(v, 5, 900),
  },
  {
    name: "bucketPrefix",
    type: "string",
    description: "Prefix of the environment's Spaces bucket names (global namespace); default shithub-<stack>.",
    optional: true,
    example: "shithub",
    check: (v) => (/^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/.test(v) ? undefined : "must be 3 to 42 lower-case letters, digits and -"),
  },
  {
    name: "objectsBucket",
    type: "string",
    description: "The name of shithubd's runtime object bucket when it already exists (a live forge's, adopted with npm run takeover -- import-file); default: <bucketPrefix>-objects.",
    optional: true,
    example: "shithub-prod",
    check: (v) => (bucketNameProblem(v) === undefined ? undefined : `must be a bucket name S3 takes: ${bucketNameProblem(v)!}`),
  },
  {
    name: "drRegion",
    type: "string",
    description: "Second Spaces region holding the DR copies: dumps, WAL and base backups, the repositories' restic repository, and shithubd's objects.",
    default: "sfo3",
    example: "sfo3",
    check: (v) => (REGIONS.includes(v) ? undefined : `must be a DigitalOcean region: ${REGIONS.join(", ")}`),
  },
  {
    name: "backupRetentionDays",
    type: "integer",
    description: "Days daily dumps are kept in the buckets.",
    default: "90",
    example: "90",
    check: (v) => wholeNumber(v, 1, 3650),
  },
  {
    name: "walRetentionDays",
    type: "integer",
    description: "Days WAL segments are kept (base backups 7 days longer).",
    default: "30",
    example: "30",
    // Recovery replays every segment since the newest base backup, taken weekly (shithub-basebackup.timer).
    check: (v) => wholeNumber(v, 1, 3650) ?? (Number(v) < 8
      ? `is ${v} days, less than the weekly base backup's 7 plus a day: the segments between the newest base backup and now would expire before the next one, and recovery could not reach the present`
      : undefined),
  },
  {
    name: "multipartAbortDays",
    type: "integer",
    description: "Days after which incomplete multipart uploads are aborted.",
    default: "2",
    example: "2",
    check: (v) => wholeNumber(v, 1, 365),
  },
  {
    name: "lifecycleRules",
    type: "string",
    description: "Extra lifecycle rules [{bucket, id, prefix, expirationDays}], checked with the generated ones.",
    optional: true,
    example: "'[]'",
    check: () => undefined,
  },
  {
    name: "metricsRetentionDays",
    type: "integer",
    description: "Days the monitoring host's Prometheus keeps metrics.",
    default: "30",
    example: "30",
    check: (v) => wholeNumber(v, 1, 3650),
  },
  {
    name: "metricsRetentionGib",
    type: "integer",
    description: "At most this much disk, in GiB, for the monitoring host's Prometheus (the oldest data goes first).",
    default: "8",
    example: "8",
    check: (v) => wholeNumber(v, 1, 10_000),
  },
  {
    name: "alertSmtpSmarthost",
    type: "string",
    description: "The SMTP server (host:port, STARTTLS) Alertmanager mails alerts through to shithubd:alertEmails. Required in production.",
    optional: true,
    example: "smtp.postmarkapp.com:587",
    check: (v) => (/^[a-z0-9.-]+:\d{1,5}$/.test(v) && Number(v.split(":")[1]) > 0 && Number(v.split(":")[1]) < 65536 ? undefined : "must be host:port of an SMTP server, e.g. smtp.example.org:587"),
  },
  {
    name: "alertSmtpFrom",
    type: "string",
    description: "The sender of alert mail; default: shithubd's SHITHUB_AUTH__EMAIL_FROM address.",
    optional: true,
    example: "alerts@example.org",
    check: mailboxProblem,
  },
  {
    name: "alertSmtpUsername",
    type: "string",
    description: "The SMTP login of alert mail (with shithubd:alertSmtpPassword).",
    optional: true,
    example: "alerts@example.org",
    check: (v) => (v.trim() === v && v !== "" && !/["\n]/.test(v) ? undefined : "must be a user name without quotes or line breaks"),
  },
  {
    name: "alertSmtpPassword",
    type: "string",
    description: "The SMTP password of alert mail.",
    optional: true,
    secret: true,
    example: "\"$(cat smtp-password)\"",
    check: (v) => (v !== "" && !/\n/.test(v) ? undefined : "must be one line"),
  },
  {
    name: "canaryP95Ratio",
    type: "string",
    description: "The canary fails a busy route whose p95 grew by more than this factor (and is over shithubd:canaryP95FloorMs).",
    default: "1.5",
    example: "1.5",
    check: (v) => ratioProblem(v, 1, 100),
  },
  {
    name: "canaryP95FloorMs",
    type: "integer",
    description: "A route's p95 under this many milliseconds never fails the canary, however it grew.",
    default: "250",
    example: "250",
    check: (v) => wholeNumber(v, 0, 60_000),
  },
  {
    name: "canaryDbCallsRatio",
    type: "string",
    description: "The canary fails a release whose DB calls per request grew by this factor or more (an N+1).",
    default: "10",
    example: "10",
    check: (v) => ratioProblem(v, 1, 1000),
  },
  {
    name: "canaryMinRequests",
    type: "integer",
    description: "Requests each window (and each route) needs before the canary compares it.",
    default: "50",
    example: "50",
    check: (v) => wholeNumber(v, 1, 1_000_000),
  },
  {
    name: "canaryWebReadyPercent",
    type: "integer",
    description: "The share of scrapes shithubd must answer after the release, in percent.",
    default: "90",
    example: "90",
    check: (v) => wholeNumber(v, 1, 100),
  },
  {
    name: "canaryErrorLineSlack",
    type: "integer",
    description: "Error lines after the release may exceed twice those before by this many.",
    default: "10",
    example: "10",
    check: (v) => wholeNumber(v, 0, 1_000_000),
  },
  {
    name: "canaryVerdict",
    type: "string",
    description: "The canary's verdict on the release this stack runs, written by npm run canary -- --record (not by hand); the stack exports it for the promotion gate downstream.",
    optional: true,
    example: "'{\"version\":\"v1.8.1\",\"verdict\":\"pass\",\"judgedAt\":\"2026-11-26T12:00:00Z\",\"failed\":[]}'",
    check: canaryVerdictProblem,
  },
  {
    name: "promoteFrom",
    type: "string",
    description: "The stack this one promotes from (production: staging, as organization/shithubd/staging): it takes only the version that stack runs, once it has run there for shithubd:soakMinutes. Required for production.",
    optional: true,
    example: "organization/shithubd/staging",
    check: stackReferenceProblem,
  },
  {
    name: "soakMinutes",
    type: "integer",
    description: "How long a version must have run on the shithubd:promoteFrom stack before this one takes it.",
    default: "30",
    example: "30",
    check: (v) => wholeNumber(v, 0, 10_080),
  },
  {
    name: "promotionOverride",
    type: "string",
    description: "Emergency only: promote shithubd:version without the gate, {version, by, reason}; printed in every preview and exported. Remove it after the release.",
    optional: true,
    example: "'{\"version\":\"v1.8.1\",\"by\":\"<your name>\",\"reason\":\"<why production cannot wait>\"}'",
    check: overrideShapeProblem,
  },
  {
    name: "takeover",
    type: "string",
    description: "standby while a live forge is taken over (docs/runbooks/takeover.md): app hosts get shithubd but do not run it until the window.",
    optional: true,
    example: "standby",
    check: (v) => (v === "standby" ? undefined : "must be standby (remove the key when the takeover is done: pulumi config rm shithubd:takeover)"),
  },
  {
    name: "takeoverSource",
    type: "string",
    description: "While shithubd:takeover is standby: the live box's public address. The db and app hosts may reach its SSH (port 22) and nothing else of it; npm run takeover tunnels its PostgreSQL and copies its repositories that way.",
    optional: true,
    example: "203.0.113.10",
    check: takeoverSourceProblem,
  },
  {
    name: "recovery",
    type: "string",
    description: "A stack converging from a lost environment's backups (docs/runbooks/recover-an-environment.md): {from: dr|primary, region, bucketPrefix?, to?, objectsBucket?} (objectsBucket: the lost stack's adopted shithubd:objectsBucket, when reading its primaries; the same stack's is read by default). The hosts converge held (shithubd installed, not running; dumps, base backups and WAL archiving held) with a key that reads the lost environment's buckets; npm run recover brings the database, repositories and objects back; removing the key starts shithubd.",
    optional: true,
    example: "'{\"from\":\"dr\",\"region\":\"sfo3\"}'",
    check: (v) => {
      const value = jsonValueOf(v);
      return typeof value === "object" && value !== null && !Array.isArray(value) ? undefined : "must be a JSON object: {from: dr|primary, region, bucketPrefix?, to?, objectsBucket?}";
    },
  },
  {
    name: "majorSchemaChange",
    type: "boolean",
    description: "The pinned release changes the schema a lot: back up and verify before any host restarts.",
    default: "false",
    example: "true",
    check: (v) => (v === "true" || v === "false" ? undefined : "must be true or false"),
  },
];

/** `shithubd:version` */
export function qualified(name: string): string {
  return `${NAMESPACE}:${name}`;
}

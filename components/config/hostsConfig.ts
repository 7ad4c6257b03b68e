import { ADMIN_LIMIT, parseCidr, unionSize } from "./addressRanges";
import type { AddressRange } from "./addressRanges";
import { qualified } from "./projectKeys";
import type { Problem } from "./problems";
import { parseJsonList, substitutedCommand } from "./problems";
import { ageRecipientProblem } from "../backups/ageKeys";
import { publicKeyProblem } from "../hosts/sshKeys";
import { mailAddressProblem } from "./mailAddress";
import { checkTopology } from "../hosts/topology";
import type { HostSpec, PathProblem } from "../hosts/topology";

/** The list-valued keys: set with `pulumi config set --path 'shithubd:adminCidrs[0]' ...`. */
export const LIST_KEYS = ["hosts", "sshKeys", "adminCidrs", "alertEmails", "authorizedKeys", "backupRecipients"] as const;
/** What each list holds, for the reference (docs/reference/config.md). */
export const LIST_KEY_DOCS: Readonly<Record<ListKey, string>> = {
  hosts: "the droplets: each a name, a size, its roles (app, db, backup, monitoring) and an optional volume {name, sizeGib}",
  sshKeys: "DigitalOcean SSH key fingerprints (or ids) installed for root on new hosts",
  adminCidrs: "the networks SSH (22/tcp) to the hosts is allowed from",
  alertEmails: "who receives the resource, uptime and Alertmanager alerts",
  authorizedKeys: "OpenSSH public keys root accepts besides the deploy key's (operators; the next deploy key during a rotation); optional",
  backupRecipients: "age recipients every dump, base backup and WAL segment is encrypted to (production: at least two)",
};
/** Lists that may be unset (an empty list). */
const OPTIONAL_LISTS: readonly ListKey[] = ["authorizedKeys"];
export type ListKey = (typeof LIST_KEYS)[number];

export interface HostsConfig {
  readonly hosts: readonly HostSpec[];
  /** DigitalOcean SSH key fingerprints (or ids) installed for root on new hosts. */
  readonly sshKeys: readonly string[];
  /** Where SSH (22/tcp) is allowed from. */
  readonly adminCidrs: readonly string[];
  /** Who receives the resource and uptime alerts. */
  readonly alertEmails: readonly string[];
  /** OpenSSH public keys root accepts besides the deploy key's (operators; the next deploy key during a rotation). */
  readonly authorizedKeys: readonly string[];
  /** age recipients every dump, base backup and WAL segment is encrypted to before it leaves its host (the operators'). */
  readonly backupRecipients: readonly string[];
}

const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$|^\d+$/;

type ItemCheck = (text: string) => string | undefined;

const ITEM_CHECKS: Record<Exclude<ListKey, "hosts">, { check: ItemCheck; example: string }> = {
  sshKeys: {
    check: (t) => (FINGERPRINT.test(t) ? undefined : "must be an SSH key fingerprint as DigitalOcean shows it (aa:bb:...:ff) or a key id"),
    example: "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
  },
  adminCidrs: {
    check: (t) => {
      const range = parseCidr(t);
      return typeof range === "string" ? range : undefined;
    },
    example: "203.0.113.10/32",
  },
  alertEmails: {
    check: mailAddressProblem,
    example: "ops@example.org",
  },
  authorizedKeys: {
    check: publicKeyProblem,
    example: "\"$(cat ~/.ssh/id_ed25519.pub)\"",
  },
  backupRecipients: {
    check: ageRecipientProblem,
    example: "\"$(age-keygen -y ~/shithub-backup.key)\"",
  },
};

function pathFix(stack: string, key: string, p: PathProblem): string {
  const path = `'${qualified(key)}${p.fixPath ?? p.path}'`;
  if (p.remove === true) return `pulumi config rm --path ${path} -s ${stack}`;
  // A plain word as is, a command substitution ("$(cat key.pub)") for the shell to run, anything else quoted.
  const value = p.example === "" ? "VALUE" : /^[\w@.:/-]+$/.test(p.example) || substitutedCommand(p.example) !== undefined ? p.example : `'${p.example}'`;
  return `pulumi config set --path ${path} ${value} -s ${stack}`;
}

/**
 * Reads the host and network lists of a stack. `values` holds the raw (JSON) text of each list
 * key present; every problem is reported with a `pulumi config set --path` fix.
 */
export function parseHostsConfig(
  stack: string,
  values: Readonly<Partial<Record<ListKey, string>>>,
  production: boolean,
): { config?: HostsConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const lists: Partial<Record<ListKey, unknown[]>> = {};
  for (const key of LIST_KEYS) {
    const text = values[key];
    const exampleItem = key === "hosts" ? "{...}" : ITEM_CHECKS[key].example;
    const setFirst = key === "hosts"
      ? `pulumi config set --path 'shithubd:hosts[0].name' shithub-app -s ${stack}  # then .size, .roles[0], .volume (see docs/reference/config.md)`
      : `pulumi config set --path '${qualified(key)}[0]' ${exampleItem} -s ${stack}`;
    if (text === undefined && OPTIONAL_LISTS.includes(key)) continue;
    if (text === undefined) {
      problems.push({ stack, key: qualified(key), message: "is required but is not set", fix: setFirst, kind: "missing" });
      continue;
    }
    const parsed = parseJsonList(text);
    if (parsed === undefined) {
      problems.push({ stack, key: qualified(key), message: "must be a list (set items with --path)", fix: `pulumi config rm ${qualified(key)} -s ${stack} && ${setFirst}` });
      continue;
    }
    lists[key] = parsed;
  }

  const pathProblems = (key: ListKey, found: PathProblem[]): void => {
    for (const p of found) problems.push({ stack, key: `${qualified(key)}${p.path}`, message: p.message, fix: pathFix(stack, key, p) });
  };
  let hosts: HostSpec[] | undefined;
  if (lists.hosts !== undefined) {
    const topology = checkTopology(lists.hosts);
    pathProblems("hosts", topology.problems);
    hosts = topology.hosts;
  }
  const items: Partial<Record<ListKey, string[]>> = {};
  for (const key of ["sshKeys", "adminCidrs", "alertEmails", "authorizedKeys", "backupRecipients"] as const) {
    const list = lists[key];
    if (list === undefined) continue;
    const found: PathProblem[] = [];
    if (list.length === 0 && !OPTIONAL_LISTS.includes(key)) found.push({ path: "", message: "must list at least one item", example: ITEM_CHECKS[key].example, fixPath: "[0]" });
    list.forEach((item, i) => {
      const reason = typeof item === "string" ? ITEM_CHECKS[key].check(item) : "must be a string";
      if (reason !== undefined) found.push({ path: `[${i}]`, message: reason, example: ITEM_CHECKS[key].example });
    });
    pathProblems(key, found);
    items[key] = list as string[];
  }
  if (production && items.adminCidrs !== undefined) {
    // What the ranges admit together, not how they are written: 0.0.0.0/1 and 128.0.0.0/1 are 0.0.0.0/0.
    const ranges = items.adminCidrs.map(parseCidr).filter((r): r is AddressRange => typeof r !== "string");
    const size = unionSize(ranges);
    for (const family of [4, 6] as const) {
      if (size[family] <= ADMIN_LIMIT[family]) continue;
      const share = Number((size[family] * 10000n) / (1n << BigInt(family === 4 ? 32 : 128))) / 100;
      problems.push({
        stack, key: qualified("adminCidrs"),
        message: `admits ${share}% of all IPv${family} addresses together (more than a /${family === 4 ? 8 : 24}), which opens root SSH to the internet in effect; production refuses it: list the admin networks`,
        fix: `pulumi config rm shithubd:adminCidrs -s ${stack} && pulumi config set --path 'shithubd:adminCidrs[0]' ${ITEM_CHECKS.adminCidrs.example} -s ${stack}`,
      });
    }
  }
  const recipients = items.backupRecipients ?? [];
  if (production && lists.backupRecipients !== undefined && new Set(recipients.map((r) => r.trim())).size < 2) {
    // Every dump, base backup and WAL segment opens with one of these identities only.
    problems.push({
      stack, key: qualified("backupRecipients"),
      message: `lists ${new Set(recipients).size} distinct recipient(s); production needs at least two, kept apart (an operator's identity and an offline escrow one, paper or a hardware token in a safe), so that one lost identity cannot make every backup unreadable`,
      fix: `age-keygen -o escrow.key && pulumi config set --path '${qualified("backupRecipients")}[${recipients.length}]' "$(age-keygen -y escrow.key)" -s ${stack}  # then put escrow.key offline`,
    });
  }
  if (problems.length > 0 || hosts === undefined) return { problems };
  return {
    config: {
      hosts, sshKeys: items.sshKeys ?? [], adminCidrs: items.adminCidrs ?? [], alertEmails: items.alertEmails ?? [], authorizedKeys: items.authorizedKeys ?? [],
      backupRecipients: items.backupRecipients ?? [],
    },
    problems,
  };
}

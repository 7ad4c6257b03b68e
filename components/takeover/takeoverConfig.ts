import { isIP } from "node:net";
import { qualified } from "../config/projectKeys";
import type { Problem } from "../config/problems";
import { configSetCommand } from "../config/problems";

/** A takeover in progress (docs/runbooks/takeover.md): the live box the stack copies from. */
export interface TakeoverConfig {
  /** The live box's public address: the stack's app and db hosts reach its SSH, and nothing else of it. */
  readonly source: string;
  /** Its firewall rule's destination, `<address>/32` or `/128`. */
  readonly sourceCidr: string;
}

/**
 * shithubd:takeover and shithubd:takeoverSource go together: standby copies from a live box the
 * hosts must be let through to, and a source without standby would open that way for nothing.
 */
export function parseTakeoverConfig(stack: string, project: ReadonlyMap<string, string>): { config?: TakeoverConfig; problems: Problem[] } {
  const mode = project.get("takeover");
  const source = project.get("takeoverSource");
  if (mode === undefined && source === undefined) return { problems: [] };
  if (mode === undefined) {
    const key = qualified("takeoverSource");
    return { problems: [{ stack, key, message: "is set, but no takeover is in progress (shithubd:takeover is unset): the hosts would keep a way to the old box open", fix: `pulumi config rm ${key} -s ${stack}` }] };
  }
  if (source === undefined) {
    const key = qualified("takeoverSource");
    return { problems: [{ stack, key, kind: "missing", message: "is required while shithubd:takeover is standby: the live box's public address, which the db and app hosts reach over SSH to copy its database and repositories", fix: configSetCommand(stack, key, "203.0.113.10", false) }] };
  }
  return { config: { source, sourceCidr: `${source}/${isIP(source) === 4 ? 32 : 128}` }, problems: [] };
}

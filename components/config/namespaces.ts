import type { Problem } from "./problems";
import { renameCommand } from "./problems";
import { NAMESPACE } from "./projectKeys";

/** Namespaces something in this program reads: the project's own and its providers'. */
const READ_NAMESPACES: readonly string[] = [NAMESPACE, "digitalocean", "aws", "tls", "random", "command", "pulumi"];

/**
 * A key in a namespace nothing reads is ignored by the engine without a word. That is an error
 * when it is plainly one of ours under a misspelt namespace (`shithub:SHITHUB_SESSION_KEY`), or
 * a secret: a credential an operator meant to give the program, which it never sees.
 */
export function strayKeyProblem(stack: string, key: string, secret: boolean, ours: (name: string) => boolean): Problem | undefined {
  const colon = key.indexOf(":");
  const namespace = colon < 0 ? "" : key.slice(0, colon);
  const name = key.slice(colon + 1);
  if (READ_NAMESPACES.includes(namespace)) return undefined;
  if (ours(name)) {
    return {
      stack,
      key,
      message: `is in namespace ${JSON.stringify(namespace)}, which nothing reads (it would be silently ignored); this program reads ${NAMESPACE}:${name}`,
      fix: renameCommand(stack, key, `${NAMESPACE}:${name}`, secret),
    };
  }
  if (secret) {
    return {
      stack,
      key,
      message: `is a secret in namespace ${JSON.stringify(namespace)}, which nothing in this program reads (it would be silently ignored); namespaces read: ${READ_NAMESPACES.join(", ")}`,
      fix: `pulumi config rm ${key} -s ${stack}`,
    };
  }
  return undefined;
}

import { stackNameOf } from "./promotionGate";

export type DeployKeyJudgement = { readonly verdict: "distinct" } | { readonly verdict: "refused" | "rotating"; readonly message: string };

/**
 * Whether a stack runs with the deploy key of the stack it promotes from (security review M4):
 * whoever holds staging's key (its CI environment, its hosts' operators) would then be root on
 * every host of this one. Compared by fingerprint, the one the upstream stack exports; an
 * upstream that exports none (an update from before this check) is not judged. A stack that
 * lists a next key in shithubd:authorizedKeys is rotating away from it: its update goes on, with
 * a warning that says how to finish.
 */
export function judgeDeployKey(stack: string, from: string, ownFingerprint: string, upstreamFingerprint: unknown, rotating: boolean): DeployKeyJudgement {
  if (typeof upstreamFingerprint !== "string" || upstreamFingerprint !== ownFingerprint) return { verdict: "distinct" };
  const shared = `the deploy key of stack '${stack}' (shithubd:sshPrivateKey, ${ownFingerprint}) is the one ${from} uses, so whoever holds ${stackNameOf(from)}'s would be root on every host of ${stack}`;
  const key = `~/.ssh/shithub_deploy_${stack}.next`;
  const finish = `pulumi config set --secret shithubd:sshPrivateKey -s ${stack} < ${key} && pulumi config rm shithubd:authorizedKeys -s ${stack} && pulumi up -s ${stack}`;
  if (rotating) return { verdict: "rotating", message: `${shared}; the next key is in shithubd:authorizedKeys: after this update, switch to it: ${finish}` };
  return {
    verdict: "refused",
    message: `Stack '${stack}' refuses to run: ${shared}; no resource was registered and no host was touched. Give it its own key in two updates (docs/runbooks/rotate-keys-and-secrets.md): ` +
      `ssh-keygen -t ed25519 -N '' -C 'shithub-infra ${stack}' -f ${key} && pulumi config set --path 'shithubd:authorizedKeys[0]' "$(cat ${key}.pub)" -s ${stack} && pulumi up -s ${stack}, then ${finish}`,
  };
}

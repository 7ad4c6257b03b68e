import * as pulumi from "@pulumi/pulumi";
import { stackNameOf } from "./promotionGate";
import type { UpstreamOutputs } from "./promotionGate";

/**
 * The upstream stack's `release` output (undefined when it has none), read before anything else
 * is registered. getOutputDetails rather than requireOutput: a missing output is the gate's to
 * report with its fix, and requireOutput's failure leaves an unhandled rejection behind.
 */
/**
 * What this stack's own app hosts reported at its last update (its `release` output, read back
 * through a reference to itself): a version they all run is already promoted.
 */
export async function readOwnRelease(): Promise<unknown> {
  const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const details = await new pulumi.StackReference("promotion-self", { name: self }).getOutputDetails("release");
  return details.value ?? details.secretValue;
}

export async function readUpstreamRelease(from: string): Promise<UpstreamOutputs> {
  const reference = new pulumi.StackReference(`promote-from-${stackNameOf(from)}`, { name: from });
  const [release, canary, deployKey] = await Promise.all(["release", "canary", "deployKey"].map((name) => reference.getOutputDetails(name)));
  // Secret or not, they hold versions, times, signal names and a fingerprint only; the gate never prints more.
  return { release: release!.value ?? release!.secretValue, canary: canary!.value ?? canary!.secretValue, deployKey: deployKey!.value ?? deployKey!.secretValue };
}

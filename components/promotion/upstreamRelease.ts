import * as pulumi from "@pulumi/pulumi";
import { stackNameOf } from "./promotionGate";

/**
 * The upstream stack's `release` output (undefined when it has none), read before anything else
 * is registered. getOutputDetails rather than requireOutput: a missing output is the gate's to
 * report with its fix, and requireOutput's failure leaves an unhandled rejection behind.
 */
export async function readUpstreamRelease(from: string): Promise<unknown> {
  const reference = new pulumi.StackReference(`promote-from-${stackNameOf(from)}`, { name: from });
  const details = await reference.getOutputDetails("release");
  // Secret or not, it holds versions and times only; the gate never prints more than those.
  return details.value ?? details.secretValue;
}

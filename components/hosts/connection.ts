import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stackConfig";
import type { ShithubHost } from "./host";

/**
 * SSH to a host as root with the deploy key. A typed literal, never a spread of an untyped
 * object: an unexpected field makes the provider print the key (pulumi-command#773). The host
 * key is checked once the stack pins it (`shithubd:hosts[i].hostKey`): DigitalOcean does not
 * expose it before first boot, so the first connection cannot be verified.
 */
export function connectionFor(host: ShithubHost, config: StackConfig): command.types.input.remote.ConnectionArgs {
  return {
    host: host.droplet.ipv4Address,
    user: "root",
    privateKey: pulumi.secret(config.release.sshPrivateKey.reveal()),
    dialErrorLimit: 30,
    perDialTimeout: 20,
    ...(host.spec.hostKey !== undefined ? { hostKey: host.spec.hostKey } : {}),
  };
}

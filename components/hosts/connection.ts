import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stackConfig";
import type { ShithubHost } from "./host";

/**
 * SSH to a host as root with the deploy key. A typed literal, never a spread of an untyped
 * object: an unexpected field makes the provider print the key (pulumi-command#773). Every
 * connection verifies the host key: the one the stack made for the droplet (cloud-init installs
 * it at first boot), or the one pinned in `shithubd:hosts[i].hostKey` for a host made before.
 */
export function connectionFor(host: ShithubHost, config: StackConfig): command.types.input.remote.ConnectionArgs {
  return {
    host: host.droplet.ipv4Address,
    user: "root",
    privateKey: pulumi.secret(config.release.sshPrivateKey.reveal()),
    dialErrorLimit: 30,
    perDialTimeout: 20,
    hostKey: host.hostPublicKey,
  };
}

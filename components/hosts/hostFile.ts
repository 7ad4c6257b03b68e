import type * as pulumi from "@pulumi/pulumi";

/** A file the program puts on a host; its content is a secret output when any value in it is. */
export interface HostFile {
  /** Absolute path on the host. */
  readonly path: string;
  readonly content: pulumi.Output<string>;
  /** Variable names, for env files. */
  readonly names: readonly string[];
}

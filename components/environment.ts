import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import { renderEnvFile } from "./envfile";
import type { RenderedEnvFile } from "./envfile";
import { ENV_FILES } from "./templates";
import type { EnvFileName, EnvTemplate } from "./templates";

export interface ShithubEnvironmentArgs {
  readonly config: StackConfig;
  readonly templates: Readonly<Record<EnvFileName, EnvTemplate>>;
}

/** A host file and its contents; contents are a secret output when any value in them is. */
export interface HostFile {
  readonly path: string;
  readonly content: pulumi.Output<string>;
  readonly names: readonly string[];
}

/**
 * One deployment environment of shithub (a stack): today its rendered env files; the hosts,
 * services and backups of later components hang under it.
 */
export class ShithubEnvironment extends pulumi.ComponentResource {
  readonly envFiles: Readonly<Record<EnvFileName, HostFile>>;

  constructor(name: string, args: ShithubEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Environment", name, {}, opts);
    const { config, templates } = args;
    const files = {} as Record<EnvFileName, HostFile>;
    for (const file of ENV_FILES) files[file] = hostFile(renderEnvFile(templates[file], config.env, config.version));
    this.envFiles = files;
    this.registerOutputs({});
  }
}

function hostFile(rendered: RenderedEnvFile): HostFile {
  const content = rendered.secret ? pulumi.secret(rendered.content) : pulumi.output(rendered.content);
  return { path: rendered.path, content, names: rendered.names };
}

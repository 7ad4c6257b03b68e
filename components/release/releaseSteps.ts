import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stackConfig";
import { connectionFor } from "../hosts/connection";
import type { ShithubHost } from "../hosts/host";
import type { HostFile } from "../hosts/hostFile";
import { RELEASE_COMMAND, releaseBundle } from "./releaseBundle";
import { hostUnits, releaseInputs, uploadPath } from "./releasePlan";
import type { EnvFileName } from "../env/envTemplate";
import { UNIT_NAMES, unitPath } from "./units";
import { parseReleaseReport } from "./releaseReport";
import type { HostRelease } from "./releaseReport";
import { BUNDLE_COMMAND } from "../hosts/bundle";
import { auditBundle, releaseDigest } from "../ops/audit";
import type { DeployIdentity } from "../ops/deployIdentity";

export interface ShithubServiceArgs {
  readonly config: StackConfig;
  /** App hosts, in rollout order. */
  readonly hosts: readonly ShithubHost[];
  /** Env file contents of a host (secret outputs: they wait for the runtime bucket's key and the database). */
  readonly envContents: (host: string) => Readonly<Record<EnvFileName, pulumi.Output<string>>>;
  /** What must exist before any release step, e.g. the pre-deploy backup of a major schema change. */
  readonly gate?: readonly pulumi.Resource[];
  /** What must exist before the first release step (firewalls letting SSH in). */
  readonly after: readonly pulumi.Resource[];
  /** What must be done on a host before its release step restarts shithubd there (its edge's wait). */
  readonly hostAfter?: (host: string) => readonly pulumi.Resource[];
  /** Who deploys, from which commit: each host's audit step records it after its release. */
  readonly deployer: DeployIdentity;
}

/** Where the release bundle sits on the host while the step runs (tmpfs, root only). */
export const BUNDLE_PATH = "/run/shithub-release.bundle";

/**
 * shithubd on the app hosts: one remote step per host per release, chained so a failure stops
 * the rollout with the remaining hosts untouched. Each step's inputs change exactly when its
 * bundle does (version, checksum, env files, units, script), so `pulumi up` runs `update` then and
 * only then; the script itself decides what to restart.
 */
export class ShithubService extends pulumi.ComponentResource {
  readonly releases: command.remote.Command[] = [];
  /** Each host's audit step: a line in its log after its release (who, commit, version, which bundle). */
  readonly audits: command.remote.Command[] = [];
  /** What each host's last release step reported: the version it runs and since when (null before any). */
  readonly reports: Record<string, pulumi.Output<HostRelease | null>> = {};
  /** Units and the release bundle per host, for review (env files are the environment's). */
  readonly hostFiles: Array<{ host: string; file: HostFile }> = [];

  constructor(name: string, args: ShithubServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shithub:index:Service", name, {}, opts);
    const { config } = args;
    const { artifact } = config.release;
    let previous: pulumi.Resource[] = [...args.after, ...(args.gate ?? [])];

    args.hosts.forEach((host, index) => {
      const spec = host.spec;
      const env = args.envContents(spec.name);
      const bundle = pulumi.secret(pulumi.all([env.web, env.worker])
        .apply(([web, worker]) => releaseBundle(releaseInputs(config, spec, index, { web, worker }))));
      const units = hostUnits(config, spec, index);
      const connection = connectionFor(host, config);
      const before: pulumi.Resource[] = [...previous, ...host.ready, ...(args.hostAfter?.(spec.name) ?? [])];
      if (artifact.kind === "file") {
        before.push(new command.remote.CopyToRemote(`${spec.name}-upload-${config.version}`, {
          connection,
          source: new pulumi.asset.FileAsset(artifact.path),
          remotePath: uploadPath(config.version, artifact.sha256),
        }, { parent: this, dependsOn: [...host.ready] }));
      }
      const release = new command.remote.Command(`${spec.name}-release`, {
        connection,
        create: RELEASE_COMMAND,
        update: RELEASE_COMMAND,
        stdin: bundle,
        // stdout stays out of Pulumi's output; stderr carries only progress and the one-line reason.
        logging: "stderr",
        addPreviousOutputInEnv: false,
      }, { parent: this, dependsOn: before, additionalSecretOutputs: ["stdout", "stderr", "stdin"] });
      this.releases.push(release);
      // stdout is secret as a whole; the report is checked to be a version and a time, so it is not.
      this.reports[spec.name] = pulumi.unsecret(release.stdout.apply((out) => parseReleaseReport(out) ?? null));
      previous = [release];
      // Its inputs change with the release's bundle and with who deploys from which commit: an up
      // from a new commit adds a line even when the release itself changed nothing (docs/explanation/operations.md).
      const audit = pulumi.secret(bundle.apply((b) => auditBundle(spec.name, config.version, args.deployer, releaseDigest(b))));
      this.audits.push(new command.remote.Command(`${spec.name}-audit`, {
        connection,
        create: BUNDLE_COMMAND,
        update: BUNDLE_COMMAND,
        stdin: audit,
        logging: "stderr",
        addPreviousOutputInEnv: false,
      }, { parent: this, dependsOn: [release], additionalSecretOutputs: ["stdout", "stderr", "stdin"] }));
      this.hostFiles.push({ host: spec.name, file: { path: `/run/shithub-audit.bundle`, content: audit, names: [] } });

      for (const unit of UNIT_NAMES) {
        this.hostFiles.push({ host: spec.name, file: { path: unitPath(unit), content: pulumi.output(units[unit]), names: [] } });
      }
      this.hostFiles.push({ host: spec.name, file: { path: BUNDLE_PATH, content: bundle, names: [] } });
    });
    this.registerOutputs({});
  }
}

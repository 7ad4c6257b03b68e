import type { StackConfig } from "../config/stackConfig";
import type { ReleaseInputs, StagedName } from "./releaseBundle";
import type { EnvFileName } from "../env/envTemplate";
import type { HostSpec } from "../hosts/topology";
import { sshEnvOf } from "../env/sshEnv";
import { renderUnits } from "./units";
import type { UnitName } from "./units";

/** Where an uploaded binary waits on the host until the release step checks and installs it: root's own home, which the service user cannot reach. */
export function uploadPath(version: string, sha256: string): string {
  return `/root/shithubd-${version}-${sha256.slice(0, 12)}.upload`;
}

/** The units of the `index`-th app host: only the first migrates; Postgres ordering where it is local. */
export function hostUnits(config: StackConfig, host: HostSpec, index: number): Record<UnitName, string> {
  return renderUnits({ dbLocal: host.roles.includes("db"), migrate: index === 0, migrationTimeout: config.release.migrationTimeout, webAddr: webAddress(config) });
}

/** shithubd's listen address: the web unit passes it as --addr (which overrides SHITHUB_WEB__ADDR), the edge proxies to it. */
export function webAddress(config: StackConfig): string {
  const addr = config.env.get("SHITHUB_WEB__ADDR")?.value;
  return typeof addr === "string" ? addr : "127.0.0.1:8080";
}

/**
 * The release of one app host: the first app host migrates (its web unit runs
 * `shithubd migrate up`), the others never do, so two hosts cannot migrate at once.
 */
export function releaseInputs(
  config: StackConfig,
  host: HostSpec,
  index: number,
  envContents: Readonly<Record<EnvFileName, string>>,
): ReleaseInputs {
  const { release } = config;
  const files: Record<StagedName, string> = {
    "web.env": envContents.web,
    "worker.env": envContents.worker,
    "ssh.env": sshEnvOf(envContents.web),
    ...hostUnits(config, host, index),
  };
  return {
    host: host.name,
    version: config.version,
    artifact: release.artifact.kind === "url" ? { url: release.artifact.url } : { uploadedTo: uploadPath(config.version, release.artifact.sha256) },
    sha256: release.artifact.sha256,
    signingKey: release.artifact.kind === "url" ? release.artifact.signingKey ?? "" : "",
    healthUrls: release.healthPath.split(" ").map((path) => `http://${webAddress(config)}${path}`),
    healthTimeoutSeconds: release.healthTimeoutSeconds,
    keepReleases: release.keepReleases,
    standby: release.standby || release.recovering,
    files,
  };
}

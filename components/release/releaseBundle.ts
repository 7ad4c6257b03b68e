import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_COMMAND, stagedBundle } from "../hosts/bundle";
import { TEMPLATES_DIR } from "../templates";
import type { UnitName } from "./units";

/** The files a release stages on an app host, by the names the release script knows them by. */
export type StagedName = "web.env" | "worker.env" | "ssh.env" | UnitName;

/** Where the binary comes from: downloaded on the host, or uploaded beforehand by the program. */
export type ArtifactSource = { readonly url: string } | { readonly uploadedTo: string };

export interface ReleaseInputs {
  readonly host: string;
  /** shithubd release tag, e.g. `v1.8.0`. */
  readonly version: string;
  readonly artifact: ArtifactSource;
  readonly sha256: string;
  /** The minisign public key the download's signature (<url>.minisig) must verify with; empty: none checked. */
  readonly signingKey: string;
  /** Every one must answer 2xx before a restarted web counts as healthy. */
  readonly healthUrls: readonly string[];
  readonly healthTimeoutSeconds: number;
  readonly keepReleases: number;
  /** Install, never start: a takeover's standby or a recovery (ReleaseConfig.standby, recovering). */
  readonly standby: boolean;
  readonly files: Readonly<Record<StagedName, string>>;
}

/** The one command each release step runs (see BUNDLE_COMMAND). */
export const RELEASE_COMMAND = BUNDLE_COMMAND;

const SCRIPT = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-release.sh"), "utf8");

/**
 * The release bundle for one host: the release's parameters, the staged host files and
 * templates/scripts/shithub-release.sh. Deterministic: same inputs, same bytes.
 */
export function releaseBundle(inputs: ReleaseInputs): string {
  const url = "url" in inputs.artifact ? inputs.artifact.url : "";
  const upload = "uploadedTo" in inputs.artifact ? inputs.artifact.uploadedTo : "";
  return stagedBundle(
    `shithub-infra release bundle: shithubd ${inputs.version} on ${inputs.host}`,
    {
      RELEASE_VERSION: inputs.version,
      ARTIFACT_URL: url,
      ARTIFACT_UPLOAD: upload,
      ARTIFACT_SHA256: inputs.sha256,
      ARTIFACT_SIGNING_KEY: inputs.signingKey,
      HEALTH_URLS: inputs.healthUrls.join(" "),
      HEALTH_TIMEOUT: inputs.healthTimeoutSeconds,
      KEEP_RELEASES: inputs.keepReleases,
      STANDBY: inputs.standby ? 1 : 0,
    },
    inputs.files,
    SCRIPT,
  );
}

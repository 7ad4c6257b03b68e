import { readFileSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "./problems";
import { TEMPLATES_DIR } from "./templates";
import type { UnitName } from "./units";

/** The files a release stages on an app host, by the names the release script knows them by. */
export type StagedName = "web.env" | "worker.env" | UnitName;

/** Where the binary comes from: downloaded on the host, or uploaded beforehand by the program. */
export type ArtifactSource = { readonly url: string } | { readonly uploadedTo: string };

export interface ReleaseInputs {
  readonly host: string;
  /** shithubd release tag, e.g. `v1.8.0`. */
  readonly version: string;
  readonly artifact: ArtifactSource;
  readonly sha256: string;
  readonly healthUrl: string;
  readonly healthTimeoutSeconds: number;
  readonly keepReleases: number;
  readonly files: Readonly<Record<StagedName, string>>;
}

/**
 * The one command each release step runs. The bundle arrives on stdin and is kept in a
 * root-only file on tmpfs while it runs: secrets are never on a command line, in the SSH
 * session's environment or in the command's output.
 */
export const RELEASE_COMMAND =
  'umask 077 && f=$(mktemp /run/shithub-release.XXXXXX) && cat >"$f" && { bash "$f"; rc=$?; rm -f "$f"; exit $rc; }';

const SCRIPT = readFileSync(join(TEMPLATES_DIR, "scripts", "shithub-release.sh"), "utf8");
const END = "__SHITHUB_B64__";

function base64Lines(text: string): string {
  return (Buffer.from(text, "utf8").toString("base64").match(/.{1,76}/g) ?? []).join("\n");
}

/**
 * The release bundle for one host: a bash script that sets the release's parameters, stages
 * the host files (base64, so no content can end a here-document) and runs
 * templates/scripts/shithub-release.sh. Deterministic: same inputs, same bytes.
 */
export function releaseBundle(inputs: ReleaseInputs): string {
  const url = "url" in inputs.artifact ? inputs.artifact.url : "";
  const upload = "uploadedTo" in inputs.artifact ? inputs.artifact.uploadedTo : "";
  const header = [
    "#!/bin/bash",
    `# shithub-infra release bundle: shithubd ${inputs.version} on ${inputs.host}. Generated; runs from stdin.`,
    "set -euo pipefail",
    "umask 077",
    `RELEASE_VERSION=${shellQuote(inputs.version)}`,
    `ARTIFACT_URL=${shellQuote(url)}`,
    `ARTIFACT_UPLOAD=${shellQuote(upload)}`,
    `ARTIFACT_SHA256=${shellQuote(inputs.sha256)}`,
    `HEALTH_URL=${shellQuote(inputs.healthUrl)}`,
    `HEALTH_TIMEOUT=${inputs.healthTimeoutSeconds}`,
    `KEEP_RELEASES=${inputs.keepReleases}`,
    "STAGE=$(mktemp -d /run/shithub-stage.XXXXXX)",
    `trap 'rm -rf -- "$STAGE"' EXIT`,
    `stage_file() { base64 -d >"$STAGE/$1"; }`,
  ];
  const staged = (Object.keys(inputs.files) as StagedName[]).sort().map((name) =>
    `stage_file ${name} <<'${END}'\n${base64Lines(inputs.files[name])}\n${END}`);
  return `${header.join("\n")}\n${staged.join("\n")}\n\n${SCRIPT}`;
}

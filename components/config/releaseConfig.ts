import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { qualified } from "./projectKeys";
import type { Problem } from "./problems";
import { configSetCommand } from "./problems";
import { Sensitive } from "./sensitive";

export type Artifact =
  | { readonly kind: "url"; readonly url: string; readonly sha256: string; readonly signingKey?: string }
  | { readonly kind: "file"; readonly path: string; readonly sha256: string };

export interface ReleaseConfig {
  readonly artifact: Artifact;
  readonly sshPrivateKey: Sensitive;
  readonly healthPath: string;
  readonly healthTimeoutSeconds: number;
  readonly keepReleases: number;
  readonly migrationTimeout: string;
  /**
   * A takeover is in progress (shithubd:takeover standby): the app hosts get the release's binary,
   * env files and units, but shithubd does not run, since the database is still the live forge's copy.
   */
  readonly standby: boolean;
  /**
   * A recovery is in progress (shithubd:recovery): as in standby, shithubd is installed and does
   * not run, since the database is empty until `npm run recover` brings the lost one back.
   */
  readonly recovering: boolean;
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * How a release gets its binary and reaches its hosts. `project` holds the validated project
 * keys; `placeholders` the keys an offline plan filled in (their values are not checked here).
 */
export function parseReleaseConfig(
  stack: string,
  version: string,
  project: ReadonlyMap<string, string>,
  placeholders: ReadonlySet<string>,
): { config?: ReleaseConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const url = project.get("artifactUrl");
  const path = project.get("artifactPath");
  const sha = project.get("artifactSha256");
  let artifact: Artifact | undefined;

  if (url !== undefined && path !== undefined) {
    problems.push({
      stack,
      key: qualified("artifactPath"),
      message: "and shithubd:artifactUrl are both set; a release takes its binary from one of them",
      fix: `pulumi config rm ${qualified("artifactPath")} -s ${stack}`,
    });
  } else if (url !== undefined) {
    if (sha === undefined) {
      problems.push({
        stack,
        key: qualified("artifactSha256"),
        message: `is required with shithubd:artifactUrl: the sha256 published for shithubd ${version}`,
        fix: configSetCommand(stack, qualified("artifactSha256"), `"$(sha256sum shithubd-linux-amd64 | cut -d' ' -f1)"`, false),
        kind: "missing",
      });
    } else {
      const signingKey = project.get("artifactSigningKey");
      artifact = { kind: "url", url: url.replaceAll("{version}", version), sha256: sha, ...(signingKey !== undefined ? { signingKey } : {}) };
    }
  } else if (path !== undefined && project.get("artifactSigningKey") !== undefined) {
    problems.push({
      stack,
      key: qualified("artifactSigningKey"),
      message: "is set with shithubd:artifactPath: a signature is checked on what the hosts download from shithubd:artifactUrl, and a binary from this machine has none to check",
      fix: `pulumi config rm ${qualified("artifactSigningKey")} -s ${stack}`,
    });
  } else if (path !== undefined) {
    if (!existsSync(path) || !statSync(path).isFile()) {
      problems.push({ stack, key: qualified("artifactPath"), message: `is not a file here (${path})`, fix: configSetCommand(stack, qualified("artifactPath"), "./bin/shithubd", false) });
    } else {
      const actual = sha256File(path);
      if (sha !== undefined && !placeholders.has(qualified("artifactSha256")) && sha !== actual) {
        problems.push({
          stack,
          key: qualified("artifactSha256"),
          message: `does not match ${path} (its sha256 is ${actual})`,
          fix: configSetCommand(stack, qualified("artifactSha256"), actual, false),
        });
      } else {
        artifact = { kind: "file", path, sha256: actual };
      }
    }
  } else {
    problems.push({
      stack,
      key: qualified("artifactUrl"),
      message: "is required (or shithubd:artifactPath): where app hosts get the shithubd binary",
      fix: configSetCommand(stack, qualified("artifactUrl"), "'https://releases.example.org/shithubd/{version}/shithubd-linux-amd64'", false),
    });
  }

  const key = project.get("sshPrivateKey");
  if (problems.length > 0 || artifact === undefined || key === undefined) return { problems };
  return {
    config: {
      artifact,
      sshPrivateKey: new Sensitive(key),
      healthPath: project.get("healthPath") ?? "/",
      healthTimeoutSeconds: Number(project.get("healthTimeoutSeconds") ?? "60"),
      keepReleases: Number(project.get("keepReleases") ?? "5"),
      migrationTimeout: project.get("migrationTimeout") ?? "15min",
      standby: project.get("takeover") === "standby",
      recovering: project.has("recovery"),
    },
    problems,
  };
}

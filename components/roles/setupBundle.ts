import { stagedBundle } from "../hosts/bundle";
import { readTemplate } from "../templates";

/**
 * The bundle of a role's setup step (`step`, e.g. `db-setup`) on one host: its settings, its staged files, then the setup
 * library and templates/scripts/shithub-<step>.sh. Same inputs, same bytes.
 */
export function setupBundle(
  step: string,
  host: string,
  packages: readonly string[],
  vars: Readonly<Record<string, string | number>>,
  files: Readonly<Record<string, string>>,
): string {
  const script = `${readTemplate("scripts", "lib", "setup.sh")}\n${readTemplate("scripts", `shithub-${step}.sh`)}`;
  return stagedBundle(`shithub-infra ${step} on ${host}`, { SETUP_NAME: `shithub-${step}`, PACKAGES: packages.join(" "), ...vars }, files, script);
}

import { stagedBundle } from "../hosts/bundle";
import { readTemplate } from "../templates";
import type { RoleModule } from "./role";

/**
 * The bundle of a role's setup step on one host: its settings, its staged files, then the setup
 * library and templates/scripts/shithub-<step>.sh. Same inputs, same bytes.
 */
export function setupBundle(
  role: RoleModule,
  host: string,
  packages: readonly string[],
  vars: Readonly<Record<string, string | number>>,
  files: Readonly<Record<string, string>>,
): string {
  if (role.step === undefined) throw new Error(`role ${role.id} has no setup step`);
  const step = role.step.name;
  const script = `${readTemplate("scripts", "lib", "setup.sh")}\n${readTemplate("scripts", `shithub-${step}.sh`)}`;
  return stagedBundle(`shithub-infra ${step} on ${host}`, { SETUP_NAME: `shithub-${step}`, PACKAGES: packages.join(" "), ...vars }, files, script);
}

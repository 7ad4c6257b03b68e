import { stagedBundle } from "../hosts/bundle";
import { readTemplate } from "../templates";
import type { Platform } from "../hosts/platform";
import type { InstalledFile, RoleModule } from "./role";

/**
 * The bundle of a role's setup step (`step`, e.g. `db-setup`) on one host: its settings, its staged files, where
 * each declared file goes (`installs`), then the setup library, the wait for first boot, and templates/scripts/shithub-<step>.sh. Same inputs, same bytes.
 */
export function setupBundle(
  step: string,
  host: string,
  packages: readonly string[],
  vars: Readonly<Record<string, string | number>>,
  files: Readonly<Record<string, string>>,
  installs: readonly InstalledFile[] = [],
): string {
  const script = [readTemplate("scripts", "lib", "setup.sh"), readTemplate("scripts", "lib", "first-boot.sh"), readTemplate("scripts", `shithub-${step}.sh`)].join("\n");
  return stagedBundle(`shithub-infra ${step} on ${host}`, {
    SETUP_NAME: `shithub-${step}`,
    PACKAGES: packages.join(" "),
    INSTALLS: installs.map((f) => `${f.name} ${f.path} ${f.mode} ${f.owner}`).join("\n"),
    ...vars,
  }, files, script);
}

/** A role's setup bundle as its declaration says: its step, its packages and files for the platform. */
export function roleSetupBundle(
  role: RoleModule,
  host: string,
  platform: Platform,
  vars: Readonly<Record<string, string | number>>,
  files: Readonly<Record<string, string>>,
): string {
  if (role.step === undefined) throw new Error(`role ${role.id} has no setup step`);
  return setupBundle(role.step.name, host, role.packages(platform), vars, files, role.files(platform));
}

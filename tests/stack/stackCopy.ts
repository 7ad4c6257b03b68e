import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { runOffline } from "../../offline/run";
import { loadStackFile } from "../../offline/stackFile";

export const ROOT = join(__dirname, "..", "..");

/**
 * A copy of a committed stack file with its config edited, in a temp project dir beside a
 * copy of Pulumi.yaml: what an operator's working tree looks like after a config edit.
 */
export function stackCopy(stack: string, edit: (config: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `stack-${stack}-`));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const doc = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  edit(doc.config);
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify(doc));
  return dir;
}

/** The offline plan of a stack file that must be valid. */
export async function planOf(dir: string, stack: string) {
  const result = await runOffline(loadStackFile(dir, stack));
  if (!result.ok) throw new Error(result.message);
  return result;
}

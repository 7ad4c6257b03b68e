// The offline plan of one stack of one source tree, as JSON on stdout (resources and host
// files): what `npm run plan -- --diff` compares. `--root` is the tree whose program, stack file
// and offline runner are used, so a tree checked out at another commit plans with its own code.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { runOffline as RunOffline } from "../offline/run";
import type { loadStackFile as LoadStackFile } from "../offline/stackFile";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { root: { type: "string" }, stack: { type: "string" } } });
  if (values.root === undefined || values.stack === undefined) {
    console.error("usage: planSnapshot --root DIR --stack NAME");
    return 2;
  }
  const root = resolve(values.root);
  const { runOffline } = require(join(root, "offline", "run")) as { runOffline: typeof RunOffline };
  const { loadStackFile } = require(join(root, "offline", "stackFile")) as { loadStackFile: typeof LoadStackFile };
  let cfg;
  try {
    cfg = loadStackFile(root, values.stack);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const result = await runOffline(cfg);
  if (!result.ok) {
    console.error(result.message);
    return 1;
  }
  const json = JSON.stringify({
    resources: result.resources.map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: r.inputs, ignoreChanges: r.options?.ignoreChanges ?? [] })),
    files: result.files,
  });
  // All of it written before the process exits (stdout is a pipe).
  await new Promise<void>((done) => process.stdout.write(json, () => done()));
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(3);
});

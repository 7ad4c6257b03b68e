import { spawnSync } from "node:child_process";
import { BUNDLE_COMMAND, stagedBundle } from "../../components/hosts/bundle";

// The command every remote step runs, by the real bash, with what a dropped connection delivers.
describe("a bundle on stdin", () => {
  const bundle = stagedBundle("bundle test", { GREETING: "hello" }, { "a.txt": "staged\n" }, 'echo "$GREETING $(cat "$STAGE/a.txt")"');
  const run = (input: string) => spawnSync("bash", ["-c", BUNDLE_COMMAND], { input, encoding: "utf8" });

  it("runs when it arrived whole", () => {
    const r = run(bundle);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello staged\n");
    expect(r.status).toBe(0);
  });

  it.each([["cut inside the script", bundle.length - 40], ["cut inside a staged file", bundle.indexOf("__SHITHUB_B64__") + 20], ["empty", 0]])(
    "never runs when it arrived cut short (%s)", (_how, at) => {
      const r = run(bundle.slice(0, at));
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("shithub: the bundle arrived incomplete; nothing ran\n");
      expect(r.status).toBe(1);
    });
});

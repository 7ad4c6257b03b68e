import { loadProject, loadStackFile, StackFileError } from "../../offline/stackFile";
import { ROOT, stackCopy } from "../stack/stackCopy";

describe("loadStackFile reads a stack file as the CLI does", () => {
  it("merges Pulumi.yaml defaults under the stack's own values", () => {
    const cfg = loadStackFile(ROOT, "staging");
    expect(cfg.values["shithubd:SHITHUB_WORKERS"]).toBe("2");
    expect(cfg.values["shithubd:SHITHUB_WEB__ADDR"]).toBe("127.0.0.1:8080");
    expect(loadProject(ROOT).config.get("shithubd:region")).toMatchObject({ type: "string", default: "nyc3" });
  });

  it("keeps secure values opaque, as clearly marked placeholders", () => {
    const dir = stackCopy("staging", (c) => {
      c["shithubd:SHITHUB_SESSION_KEY"] = { secure: "v1:bm9uY2U=:Y2lwaGVydGV4dA==" };
    });
    const cfg = loadStackFile(dir, "staging");
    expect(cfg.secureKeys).toEqual(new Set(["shithubd:SHITHUB_SESSION_KEY"]));
    expect(cfg.values["shithubd:SHITHUB_SESSION_KEY"]).toBe("<secret shithubd:SHITHUB_SESSION_KEY from Pulumi.staging.yaml>");
  });

  it("refuses a value of the wrong type for a declared key, with the CLI's words", () => {
    const dir = stackCopy("staging", (c) => {
      c["shithubd:SHITHUB_WORKERS"] = 2;
    });
    expect(() => loadStackFile(dir, "staging")).toThrow(new StackFileError("Stack 'staging' with configuration key 'shithubd:SHITHUB_WORKERS' must be of type 'string'"));
  });

  it("passes undeclared non-string values through as the CLI does (as text)", () => {
    const dir = stackCopy("staging", (c) => {
      c["shithubd:SHITHUB_DB__MAX_CONNS"] = 12;
    });
    expect(loadStackFile(dir, "staging").values["shithubd:SHITHUB_DB__MAX_CONNS"]).toBe("12");
  });
});

import { loadProject, loadStackFile, StackFileError } from "../../offline/stackFile";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stackCopy } from "../stack/stackCopy";

/** A project directory whose stack file is exactly `text` (what an operator's hand edit leaves). */
function stackFileDir(stack: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stackfile-${stack}-`));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

/** The error loading the staging stack file of `dir` raises (the test fails if it raises none). */
function stackFileError(dir: string): StackFileError {
  try {
    loadStackFile(dir, "staging");
  } catch (e) {
    if (e instanceof StackFileError) return e;
    throw e;
  }
  throw new Error("the stack file was read without an error");
}

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

  it("reads a plain value as its literal text, as the CLI passes it on: 4 is \"4\", 0x1f stays 0x1f, 1.10 stays 1.10", () => {
    const dir = stackFileDir("staging", "config:\n  shithubd:SHITHUB_WORKERS: 4\n  shithubd:SHITHUB_DB__MAX_CONNS: 0x1f\n  shithubd:SHITHUB_LOG__LEVEL: 1.10\n  shithubd:x: yes\n");
    const { values } = loadStackFile(dir, "staging");
    expect([values["shithubd:SHITHUB_WORKERS"], values["shithubd:SHITHUB_DB__MAX_CONNS"], values["shithubd:SHITHUB_LOG__LEVEL"], values["shithubd:x"]])
      .toEqual(["4", "0x1f", "1.10", "yes"]);
  });

  it("refuses a value of the wrong type for a declared key, with the CLI's words, the file's line and the fix", () => {
    const dir = stackFileDir("staging", "config:\n  shithubd:version: v1.8.1\n  shithubd:healthTimeoutSeconds: soon\n");
    expect(() => loadStackFile(dir, "staging")).toThrow(new StackFileError(
      `${join(dir, "Pulumi.staging.yaml")}:3:34: Stack 'staging' with configuration key 'shithubd:healthTimeoutSeconds' must be of type 'integer'`,
      "pulumi config set shithubd:healthTimeoutSeconds VALUE -s staging, VALUE being a whole number"));
  });

  it.each([
    ["a key set twice", "config:\n  shithubd:version: v1\n  shithubd:domain: a.example\n  shithubd:version: v2\n",
      ":4:3: 'shithubd:version' is set twice (lines 2 and 4); YAML allows each key once and the CLI refuses the file",
      "delete one of the two lines, or pulumi config set shithubd:version VALUE -s staging, which keeps one"],
    ["text that is not YAML", "config:\n  shithubd:version: v1\n   bad: [\n", ":2:21: not YAML the CLI can read: ",
      "correct the file at that line (quote a value that has ':' or '#' in it), or set the value again with pulumi config set KEY VALUE -s staging"],
    ["a list at the top", "- a\n- b\n", ":1:1: the file is a list, not a mapping with a 'config:' key",
      "make the file a mapping: a line 'config:' and each setting indented under it, as pulumi config set -s staging writes it"],
    ["a config that is a list", "config:\n  - a\n", ":2:3: 'config' is a list, not a mapping of keys to values",
      "put each setting on its own line indented under 'config:' (KEY: VALUE), as pulumi config set -s staging writes it"],
  ])("refuses %s, naming the file, its line and the fix", (_what, text, where, fix) => {
    const dir = stackFileDir("staging", text);
    const error = stackFileError(dir);
    expect(error.message).toContain(`${join(dir, "Pulumi.staging.yaml")}${where}`);
    expect(error.fix).toBe(fix);
  });

  it("passes undeclared non-string values through as the CLI does (as text)", () => {
    const dir = stackCopy("staging", (c) => {
      c["shithubd:SHITHUB_DB__MAX_CONNS"] = 12;
    });
    expect(loadStackFile(dir, "staging").values["shithubd:SHITHUB_DB__MAX_CONNS"]).toBe("12");
  });

  // Security review family 12: the plan must read a stack file as the CLI does, or refuse it.
  it.each([
    ["a YAML tag", "  shithubd:SHITHUB_WORKERS: !!binary NA==\n", "carries the YAML tag !!binary", ""],
    ["a custom tag", "  shithubd:domain: !env shithub.example.org\n", "carries the YAML tag !env", ""],
    ["a tag inside a list", "  shithubd:adminCidrs: [!!str 203.0.113.10/32]\n", "carries the YAML tag !!str", ""],
    ["an alias", "  shithubd:domain: &d shithub.example.org\n  shithubd:dnsZone: *d\n", "is a YAML alias", ""],
    ["a merge key", "  shithubd:x: {<<: {a: 1}}\n", "uses a YAML merge key", ""],
    ["a secure value with another key", "  shithubd:SHITHUB_SESSION_KEY: {secure: \"v1:bm9uY2U=:Y2lwaGVy\", note: x}\n", "another shape than the CLI writes", " --secret"],
    ["a secure number", "  shithubd:SHITHUB_SESSION_KEY: {secure: 12}\n", "another shape than the CLI writes", " --secret"],
    ["an empty secure value", "  shithubd:SHITHUB_SESSION_KEY: {secure: \"\"}\n", "ciphertext is not what this stack's secrets provider writes", " --secret"],
    ["plaintext under secure:", "  shithubd:SHITHUB_SESSION_KEY: {secure: my-password}\n", "ciphertext is not what this stack's secrets provider writes", " --secret"],
    ["a secure value inside a list", "  shithubd:adminCidrs: [{secure: \"v1:bm9uY2U=:Y2lwaGVy\"}]\n", "inside a list or object", ""],
  ])("refuses %s: the CLI would read it otherwise, or not at all", (_what, lines, message, secretFlag) => {
    const dir = stackFileDir("staging", `encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy\nconfig:\n  shithubd:version: v1.8.0\n${lines}`);
    const error = stackFileError(dir);
    expect(error.message).toMatch(new RegExp(`Pulumi\\.staging\\.yaml:\\d+:\\d+: 'shithubd:[A-Za-z_]+' .*${message.replace(/[!.]/g, "\\$&")}`));
    expect(error.fix).toMatch(new RegExp(`^pulumi config set shithubd:[A-Za-z_]+ VALUE -s staging${secretFlag}, which writes`));
  });

  it("takes the passphrase provider's ciphertext, and plain values beside it", () => {
    const dir = stackFileDir("staging", "encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy\nconfig:\n  shithubd:version: v1.8.0\n  shithubd:SHITHUB_SESSION_KEY:\n    secure: v1:bm9uY2Vub25jZQ==:c2VhbGVkc2VhbGVkc2VhbGVk\n  shithubd:adminCidrs: [\"203.0.113.10/32\"]\n");
    const cfg = loadStackFile(dir, "staging");
    expect(cfg.secureKeys).toEqual(new Set(["shithubd:SHITHUB_SESSION_KEY"]));
    expect(cfg.values["shithubd:adminCidrs"]).toBe("[\"203.0.113.10/32\"]");
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { isSecretName } from "../../components/config/catalogue";
import { ENV_DEFAULTS } from "../../components/env/envDefaults";
import { NAMESPACE, PROJECT_KEYS } from "../../components/config/projectKeys";

const root = join(__dirname, "..", "..");
const yaml = (file: string): Record<string, unknown> => parse(readFileSync(join(root, file), "utf8")) as Record<string, unknown>;

describe("Pulumi.yaml", () => {
  const project = yaml("Pulumi.yaml");

  it("is a TypeScript nodejs project whose name is the config namespace", () => {
    expect(project.name).toBe(NAMESPACE);
    expect(project.runtime).toMatchObject({ name: "nodejs", options: { typescript: true } });
  });

  it("declares exactly the keys that have defaults, with the code's types and defaults", () => {
    const declared = project.config as Record<string, { type: string; default: unknown }>;
    const expected: Record<string, { type: string; default: string }> = {};
    for (const [name, value] of Object.entries(ENV_DEFAULTS)) expected[name] = { type: "string", default: value };
    for (const key of PROJECT_KEYS) if (key.default !== undefined) expected[key.name] = { type: key.type, default: key.default };
    const actual = Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, { type: v.type, default: String(v.default) }]));
    expect(actual).toEqual(expected);
  });
});

describe.each(["staging", "production"])("Pulumi.%s.yaml", (stack) => {
  const config = (yaml(`Pulumi.${stack}.yaml`).config ?? {}) as Record<string, unknown>;

  it("holds no secret in plaintext", () => {
    for (const [key, value] of Object.entries(config)) {
      const name = key.split(":")[1] ?? "";
      if (name.startsWith("SHITHUB_") && isSecretName(name)) expect([key, value]).toEqual([key, { secure: expect.any(String) }]);
    }
  });

  it("pins a release", () => {
    expect(config[`${NAMESPACE}:version`]).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});

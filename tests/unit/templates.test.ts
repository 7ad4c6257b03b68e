import { lookup } from "../../components/config/catalogue";
import { analyseTemplate, gateVersion, loadEnvTemplates } from "../../components/env/envTemplate";

describe("the real env templates", () => {
  const templates = loadEnvTemplates();

  it("require what shithubd says each process needs", () => {
    const web = templates.web.required.map((r) => r.name);
    const worker = templates.worker.required.map((r) => r.name);
    for (const name of ["SHITHUB_DATABASE_URL", "SHITHUB_WEB__ADDR", "SHITHUB_WEB__PPROF_ADDR", "SHITHUB_AUTH__BASE_URL",
      "SHITHUB_AUTH__SITE_NAME", "SHITHUB_AUTH__EMAIL_FROM", "SHITHUB_AUTH__EMAIL_BACKEND", "SHITHUB_AUTH__SSH__ENABLED",
      "SHITHUB_AUTH__SSH__HOST", "SHITHUB_STORAGE__REPOS_ROOT", "SHITHUB_SESSION_KEY", "SHITHUB_TOTP_KEY"]) {
      expect(web).toContain(name);
    }
    expect(worker).toEqual(expect.arrayContaining(["SHITHUB_DATABASE_URL", "SHITHUB_WORKERS", "SHITHUB_AUTH__BASE_URL"]));
    expect(worker).not.toContain("SHITHUB_SESSION_KEY");
    expect(worker.filter((n) => n.startsWith("SHITHUB_WEB__"))).toEqual([]);
  });

  it("only name variables from shithubd's catalogue", () => {
    for (const t of Object.values(templates)) {
      for (const name of [...t.required.map((r) => r.name), ...t.optional.map((o) => o.name)]) {
        expect([t.path, name, lookup(name) !== undefined]).toEqual([t.path, name, true]);
      }
    }
  });

  it("write the S3 block only with a bucket, and the email tokens only when set", () => {
    expect(templates.web.optional).toEqual(expect.arrayContaining([
      { name: "SHITHUB_STORAGE__S3__ENDPOINT", when: "SHITHUB_STORAGE__S3__BUCKET" },
      { name: "SHITHUB_AUTH__POSTMARK__SERVER_TOKEN", when: "SHITHUB_AUTH__POSTMARK__SERVER_TOKEN" },
    ]));
  });
});

describe("analyseTemplate", () => {
  it("reads release gates", () => {
    const t = analyseTemplate("web", "t", "{{#since_v1_10_0}}A={{{SHITHUB_LOG__LEVEL}}}\n{{/since_v1_10_0}}");
    expect(t.required).toEqual([{ name: "SHITHUB_LOG__LEVEL", since: "1.10.0" }]);
    expect(t.gates).toEqual(["since_v1_10_0"]);
    expect(gateVersion("since_v2_0_1")).toBe("2.0.1");
    expect(gateVersion("since_2_0")).toBeUndefined();
  });

  it("a variable both required and in a section counts as required", () => {
    const t = analyseTemplate("web", "t", "{{#SHITHUB_X}}{{{SHITHUB_Y}}}{{/SHITHUB_X}}{{{SHITHUB_Y}}}");
    expect(t.required.map((r) => r.name)).toEqual(["SHITHUB_Y"]);
    expect(t.optional).toEqual([]);
  });

  it.each([
    ["{{SHITHUB_LOG__LEVEL}}", /HTML-escape/],
    ["{{#WHATEVER}}x{{/WHATEVER}}", /unknown section/],
    ["{{^SHITHUB_X}}x{{/SHITHUB_X}}", /inverted/],
    ["{{>partial}}", /partials/],
    ["{{{lower_case}}}", /not a SHITHUB_\* variable/],
    ["{{#SHITHUB_A}}{{#SHITHUB_B}}{{/SHITHUB_B}}{{/SHITHUB_A}}", /nested/],
  ])("refuses %s", (source, reason) => {
    expect(() => analyseTemplate("web", "bad.mustache", source)).toThrow(reason);
  });
});

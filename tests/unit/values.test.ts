import { CATALOGUE, envNameOf, isSecretName } from "../../components/config/catalogue";
import { didYouMean } from "../../components/config/suggest";
import { checkValue } from "../../components/config/values";

describe("checkValue accepts what shithubd accepts", () => {
  it.each([
    [{ kind: "bool" }, "true"], [{ kind: "bool" }, "F"], [{ kind: "bool" }, "1"],
    [{ kind: "int", min: 1, max: 64 }, "64"],
    [{ kind: "float", min: 0 }, "0.5"],
    [{ kind: "duration" }, "1h30m"], [{ kind: "duration" }, "336h"], [{ kind: "duration" }, "0"],
    [{ kind: "url", schemes: ["postgres", "postgresql"] }, "postgres://u:p@h:5432/db?sslmode=disable"],
    [{ kind: "hostPort" }, "[::1]:8080"], [{ kind: "hostPort" }, ":8080"],
    [{ kind: "loopbackHostPort" }, "127.0.0.1:6060"], [{ kind: "loopbackHostPort" }, "[::1]:6060"],
    [{ kind: "base64Key32" }, Buffer.alloc(32, 7).toString("base64")],
    [{ kind: "absPath" }, "/data/repos"],
  ] as const)("%j accepts %j", (type, text) => {
    expect(checkValue(type, text)).toBeUndefined();
  });

  it.each([
    [{ kind: "bool" }, "yes"], [{ kind: "bool" }, "on"],
    [{ kind: "int", min: 1, max: 64 }, "65"], [{ kind: "int", min: 1 }, "1.5"],
    [{ kind: "duration" }, "5 minutes"], [{ kind: "duration" }, "10d"],
    [{ kind: "url", schemes: ["https"] }, "ftp://x"], [{ kind: "url", schemes: ["https"] }, "not a url"],
    [{ kind: "hostPort" }, "host:99999"],
    [{ kind: "loopbackHostPort" }, "10.0.0.1:6060"],
    [{ kind: "base64Key32" }, Buffer.alloc(31).toString("base64")],
    [{ kind: "base64" }, "abc"],
  ] as const)("%j refuses %j without quoting it", (type, text) => {
    const reason = checkValue(type, text);
    expect(reason).toEqual(expect.any(String));
    expect(reason).not.toContain(text);
  });
});

describe("the key catalogue", () => {
  it("maps TOML paths to shithubd's env names", () => {
    expect(envNameOf("auth.smtp.addr")).toBe("SHITHUB_AUTH__SMTP__ADDR");
    expect(CATALOGUE.has("SHITHUB_AUTH__EMAIL_BACKEND")).toBe(true);
    expect(CATALOGUE.has("SHITHUB_EMAIL_BACKEND")).toBe(false);
  });

  it("applies shithubd's redaction rule to names", () => {
    for (const name of ["SHITHUB_DATABASE_URL", "SHITHUB_SESSION_KEY", "SHITHUB_AUTH__POSTMARK__SERVER_TOKEN",
      "SHITHUB_METRICS__BASIC_AUTH_PASS", "SHITHUB_ERROR_REPORTING__DSN", "SHITHUB_BILLING__STRIPE__WEBHOOK_SECRET",
      "SHITHUB_STORAGE__S3__ACCESS_KEY_ID", "SHITHUB_BILLING__STRIPE__SUCCESS_URL"]) {
      expect([name, isSecretName(name)]).toEqual([name, true]);
    }
    for (const name of ["SHITHUB_AUTH__EMAIL_FROM", "SHITHUB_STORAGE__S3__BUCKET", "SHITHUB_WORKERS", "SHITHUB_WEB__ADDR"]) {
      expect([name, isSecretName(name)]).toEqual([name, false]);
    }
  });
});

describe("didYouMean", () => {
  it("finds typos, not strangers", () => {
    expect(didYouMean("SHITHUB_AUTH__EMAIL_BACKNED", CATALOGUE.keys())).toBe("SHITHUB_AUTH__EMAIL_BACKEND");
    expect(didYouMean("SHITHUB_SESION_KEY", CATALOGUE.keys())).toBe("SHITHUB_SESSION_KEY");
    expect(didYouMean("SHITHUB_FROBNICATE", CATALOGUE.keys())).toBeUndefined();
  });
});

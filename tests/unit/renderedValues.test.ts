import { parse } from "yaml";
import { mailAddressProblem, mailboxProblem } from "../../components/config/mailAddress";
import { yamlString } from "../../components/monitoring/yamlString";
import { APP_CONNECTION_LIMIT, connectionBudgetProblem, largestPool } from "../../components/roles/dbCapacity";
import { configOf, problemsOf, rawConfig, FOUR_HOSTS } from "../helpers";

// Values that several config languages and programs read (security review families 9 and 10):
// the pure checks and encoders. The tools tier reads the rendered files back with each
// language's own program (tests/tools/configLanguages.test.ts).

describe("mail addresses", () => {
  it.each(["ops@shithub.sh", "ops+alerts@mail.shithub.sh", "first.last_2-x@example.org"])("%s is an address", (a) => {
    expect(mailAddressProblem(a)).toBeUndefined();
  });

  it.each(["ops", "@shithub.sh", "ops@localhost", "ops@10.0.0.1", "o ps@shithub.sh", "o#ps@shithub.sh", "o{x}@shithub.sh", "o\"p@shithub.sh", "o..p@shithub.sh", ".op@shithub.sh", "ops@shithub.sh\n", "öps@shithub.sh", "o\u2028p@shithub.sh"])("%j is refused", (a) => {
    expect(mailAddressProblem(a)).toMatch(/must be a mail address/);
  });

  it.each(["shithub <noreply@shithub.sh>", "noreply@shithub.sh", "O'Brien-ops 2 <noreply@shithub.sh>", "<noreply@shithub.sh>"])("%s is a sender", (a) => {
    expect(mailboxProblem(a)).toBeUndefined();
  });

  it.each(["shithub  <noreply@shithub.sh>", "shi\"thub <noreply@shithub.sh>", "shithub <noreply@shithub.sh", "shithub, ops <noreply@shithub.sh>", "a <b> <c@shithub.sh>", "shithub <no reply@shithub.sh>"])("%j is refused as a sender", (a) => {
    expect(mailboxProblem(a)).toMatch(/must/);
  });
});

describe("yamlString", () => {
  const HOSTILE = ["plain", "q\"uote", "back\\slash", "nel\u0085x", "ls\u2028ps\u2029x", "tab\tnl\n", "#{x}: - [a]", "emoji 🐙", "\u0000\u007f", "'single'"];

  it.each(HOSTILE)("%j is written as printable ASCII and read back unchanged", (text) => {
    const written = yamlString(text);
    expect(written).toMatch(/^"[\x20-\x7e]*"$/);
    expect(parse(`key: ${written}\n`)).toEqual({ key: text });
  });
});

describe("the database's connections (family 10)", () => {
  it("shithubd's role gets max_connections less the superuser's and other clients'", () => {
    expect(APP_CONNECTION_LIMIT).toBe(90);
    expect(largestPool(1)).toBe(26);
    expect(connectionBudgetProblem(26n, 1)).toBeUndefined();
    expect(connectionBudgetProblem(27n, 1)).toMatch(/at most 26$/);
    expect(connectionBudgetProblem(14n, 2)).toMatch(/2 app host\(s\) × 3 pools .* = 94 connections, more than the 90 .*at most 13$/);
  });

  it("a pool too big for the database is refused at preview, naming the key and the largest that fits", () => {
    const problems = problemsOf(rawConfig({ set: { "shithubd:SHITHUB_DB__MAX_CONNS": "40" } }));
    expect(problems).toEqual([expect.objectContaining({
      key: "shithubd:SHITHUB_DB__MAX_CONNS",
      message: expect.stringMatching(/^is 40, but 1 app host\(s\) × 3 pools \(web, worker, cron\) × 40 \+ 10 for git hooks = 130 connections/),
      fix: "pulumi config set shithubd:SHITHUB_DB__MAX_CONNS 26 -s staging",
    })]);
  });

  it("the production topology's pool of 20 fits", () => {
    expect(problemsOf(rawConfig({ stack: "production", set: { "shithubd:hosts": JSON.stringify(FOUR_HOSTS), "shithubd:SHITHUB_DB__MAX_CONNS": "20" } })).filter((p) => p.key.includes("MAX_CONNS"))).toEqual([]);
  });
});

describe("shithubd's listen address (family 10)", () => {
  it.each(["127.0.0.1:8080", "127.0.0.2:9000", "[::1]:8080"])("%s, on loopback, is taken", (addr) => {
    expect(configOf(rawConfig({ set: { "shithubd:SHITHUB_WEB__ADDR": addr } })).env.get("SHITHUB_WEB__ADDR")?.value).toBe(addr);
  });

  it.each(["0.0.0.0:8080", ":8080", "10.0.0.5:8080", "localhost:8080"])("%s is refused: the edge, Prometheus and the health checks reach it on loopback", (addr) => {
    expect(problemsOf(rawConfig({ set: { "shithubd:SHITHUB_WEB__ADDR": addr } }))).toEqual([expect.objectContaining({
      key: "shithubd:SHITHUB_WEB__ADDR", message: expect.stringMatching(/^must be a loopback address and port/), fix: "pulumi config set shithubd:SHITHUB_WEB__ADDR 127.0.0.1:8080 -s staging",
    })]);
  });

  it.each(["127.0.0.1 x:8080", "a%nb:8080", "a#b:8080", "[fe80::1%eth0]:8080", "h{x}:8080"])("%j is not a host and port at all", (addr) => {
    expect(problemsOf(rawConfig({ set: { "shithubd:SHITHUB_AUTH__SMTP__ADDR": addr, "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp" } }))).toEqual([expect.objectContaining({
      key: "shithubd:SHITHUB_AUTH__SMTP__ADDR", message: expect.stringMatching(/^must be host:port/),
    })]);
  });
});

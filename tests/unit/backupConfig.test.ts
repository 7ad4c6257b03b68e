import { problemsOf, rawConfig, configOf } from "../helpers";

const rules = (list: unknown[]) => ({ "shithubd:lifecycleRules": JSON.stringify(list) });

describe("backup buckets and lifecycle", () => {
  it("plans five buckets with the retention of DESIGN.md", () => {
    const { backups } = configOf(rawConfig());
    expect(backups.buckets.map((b) => [b.name, b.region])).toEqual([
      ["shithub-staging-backups", "nyc3"], ["shithub-staging-backups-dr", "sfo3"],
      ["shithub-staging-wal", "nyc3"], ["shithub-staging-wal-dr", "sfo3"], ["shithub-staging-objects", "nyc3"],
    ]);
    const backupsRules = backups.buckets[0]!.rules;
    expect(backupsRules).toEqual(expect.arrayContaining([
      { id: "daily", prefix: "daily/", expirationDays: 90 },
      { id: "abort-incomplete-uploads", prefix: "", abortMultipartDays: 2 },
    ]));
    expect(backups.buckets[2]!.rules).toEqual(expect.arrayContaining([{ id: "wal", prefix: "wal/", expirationDays: 30 }]));
    expect(backups.majorSchemaChange).toBe(false);
  });

  it("rejects the operators' rule set: an empty-prefix 30-day rule cuts daily dumps from 90 to 30 days", () => {
    const problems = problemsOf(rawConfig({ set: rules([{ bucket: "backups", id: "wal-expiry", prefix: "", expirationDays: 30 }]) }));
    expect(problems.map((p) => [p.key, p.message, p.fix])).toEqual([
      ["shithubd:lifecycleRules[0]",
        "bucket shithub-staging-backups: rule 'wal-expiry' (prefix '', 30 days) also matches prefix 'daily/' of rule 'daily' (90 days): objects under 'daily/' are deleted after 30 days",
        "pulumi config rm --path 'shithubd:lifecycleRules[0]' -s staging"],
      ["shithubd:lifecycleRules[0]",
        "bucket shithub-staging-backups: rule 'wal-expiry' (prefix '', 30 days) also matches prefix 'pre-release/' of rule 'pre-release' (365 days): objects under 'pre-release/' are deleted after 30 days",
        "pulumi config rm --path 'shithubd:lifecycleRules[0]' -s staging"],
    ]);
  });

  it("rejects a narrower operator rule that wants longer than the generated one allows", () => {
    const [p, ...rest] = problemsOf(rawConfig({ set: rules([{ bucket: "wal", id: "keep-wal-2026", prefix: "wal/2026", expirationDays: 400 }]) }));
    expect(rest).toEqual([]);
    expect(p!.message).toMatch(/rule 'wal' \(prefix 'wal\/', 30 days\) also matches prefix 'wal\/2026' of rule 'keep-wal-2026' \(400 days\)/);
  });

  it("accepts an operator rule that does not overlap", () => {
    expect(configOf(rawConfig({ set: rules([{ bucket: "objects", id: "tmp", prefix: "tmp/", expirationDays: 1 }]) })).backups.buckets[4]!.rules)
      .toContainEqual({ id: "tmp", prefix: "tmp/", expirationDays: 1 });
  });

  it.each([
    [{ bucket: "nope", id: "x", prefix: "" }],
    [{ bucket: "backups", id: "x", prefix: "a/", expirationDays: 0 }],
  ])("rejects a malformed rule %j", (rule) => {
    const [p] = problemsOf(rawConfig({ set: rules([rule]) }));
    expect(p!.key).toBe("shithubd:lifecycleRules[0]");
  });

  it("needs a DR region other than the primary one", () => {
    const [p] = problemsOf(rawConfig({ set: { "shithubd:drRegion": "nyc3" } }));
    expect(p).toMatchObject({ key: "shithubd:drRegion", fix: "pulumi config set shithubd:drRegion sfo3 -s staging" });
  });

  it("needs a primary region with Spaces", () => {
    const [p] = problemsOf(rawConfig({ set: { "shithubd:region": "nyc1" } }));
    expect(p).toMatchObject({ key: "shithubd:region", message: expect.stringMatching(/has no Spaces/) });
  });
});

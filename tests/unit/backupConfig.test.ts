import { backupHostFiles } from "../../components/backups/backupHost";
import { splitPassword } from "../../components/backups/pgpass";
import { platformOf } from "../../components/hosts/platform";
import { problemsOf, rawConfig, configOf } from "../helpers";

const rules = (list: unknown[]) => ({ "shithubd:lifecycleRules": JSON.stringify(list) });

describe("backup buckets and lifecycle", () => {
  it("plans eight buckets with the retention of docs/explanation/backups.md", () => {
    const { backups } = configOf(rawConfig());
    expect(backups.buckets.map((b) => [b.name, b.region, b.guard])).toEqual([
      ["shithub-staging-backups", "nyc3", "objects"], ["shithub-staging-backups-dr", "sfo3", "objects"],
      ["shithub-staging-wal", "nyc3", "objects"], ["shithub-staging-wal-dr", "sfo3", "objects"],
      ["shithub-staging-repos", "nyc3", "versions"], ["shithub-staging-repos-dr", "sfo3", "objects"],
      ["shithub-staging-objects", "nyc3", "versions"], ["shithub-staging-objects-dr", "sfo3", "objects"],
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
    expect(configOf(rawConfig({ set: rules([{ bucket: "objects", id: "tmp", prefix: "tmp/", expirationDays: 1 }]) })).backups.buckets.find((b) => b.id === "objects")!.rules)
      .toContainEqual({ id: "tmp", prefix: "tmp/", expirationDays: 1 });
  });

  it("an overwritten or expired version in a DR copy outlives everything its bucket keeps; restic's buckets have no expiry", () => {
    const { backups } = configOf(rawConfig({ set: { "shithubd:walRetentionDays": "45" } }));
    const noncurrent = (id: string) => backups.buckets.find((b) => b.id === id)!.rules.find((r) => r.id === "noncurrent-versions")!.noncurrentDays;
    expect([noncurrent("backups"), noncurrent("backups-dr"), noncurrent("wal"), noncurrent("wal-dr"), noncurrent("repos"), noncurrent("repos-dr"), noncurrent("objects"), noncurrent("objects-dr")])
      .toEqual([7, 365, 7, 52, 7, 372, 30, 30]);
    for (const id of ["repos", "repos-dr"]) expect(backups.buckets.find((b) => b.id === id)!.rules.filter((r) => r.expirationDays !== undefined)).toEqual([]);
  });

  it("refuses an operator rule on restic's bucket, which prunes itself", () => {
    const [p] = problemsOf(rawConfig({ set: rules([{ bucket: "repos", id: "x", prefix: "data/", expirationDays: 30 }]) }));
    expect(p).toMatchObject({ key: "shithubd:lifecycleRules[0]", message: expect.stringContaining("bucket: backups|backups-dr|wal|wal-dr|objects|objects-dr") });
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

describe("lifecycle rules and bucket names radosgw (what Spaces runs) accepts", () => {
  const only = (set: Record<string, string>, stack = "staging") => {
    const problems = problemsOf(rawConfig({ stack, set }));
    expect(problems).toHaveLength(1);
    return problems[0]!;
  };

  it("a rule id repeated against one of ours is refused, with a rename", () => {
    expect(only(rules([{ bucket: "backups", id: "daily", prefix: "weekly/", expirationDays: 400 }]))).toMatchObject({
      key: "shithubd:lifecycleRules[0]",
      message: "bucket shithub-staging-backups already has a rule with id 'daily' (one shithub-infra makes); radosgw refuses repeated ids",
      fix: "pulumi config set --path 'shithubd:lifecycleRules[0].id' daily-2 -s staging",
    });
  });

  it("a rule id repeated among the operator's rules is refused", () => {
    const p = only(rules([
      { bucket: "objects", id: "tmp", prefix: "tmp/", expirationDays: 1 },
      { bucket: "objects", id: "tmp", prefix: "cache/", expirationDays: 3 },
    ]));
    expect(p).toMatchObject({ key: "shithubd:lifecycleRules[1]", message: "bucket shithub-staging-objects already has a rule with id 'tmp' (another of lifecycleRules); radosgw refuses repeated ids" });
  });

  it("the same id on different buckets is fine", () => {
    expect(() => configOf(rawConfig({ set: rules([{ bucket: "objects", id: "daily", prefix: "tmp/", expirationDays: 1 }]) }))).not.toThrow();
  });

  it("a rule with no action is refused", () => {
    expect(only(rules([{ bucket: "objects", id: "keep", prefix: "keep/" }]))).toMatchObject({
      key: "shithubd:lifecycleRules[0]",
      message: "has no action: radosgw refuses a rule that does nothing; give it expirationDays",
      fix: "pulumi config set --path 'shithubd:lifecycleRules[0].expirationDays' 30 -s staging",
    });
  });

  it("a DR region without Spaces is refused", () => {
    expect(only({ "shithubd:drRegion": "sfo1" })).toMatchObject({ key: "shithubd:drRegion", message: expect.stringMatching(/^has no Spaces \(the DR buckets need one of nyc3, /) });
  });

  it("a stack name that makes bucket names S3 refuses needs a bucket prefix", () => {
    expect(only({}, "Canary_1")).toMatchObject({
      key: "shithubd:bucketPrefix",
      message: "is unset, so it is shithub-<stack>; bucket \"shithub-Canary_1-backups\" may hold only lower-case letters, digits and inner hyphens",
      fix: "pulumi config set shithubd:bucketPrefix shithub-example -s Canary_1",
    });
    const long = "s".repeat(60);
    expect(only({}, long).message).toBe(`is unset, so it is shithub-<stack>; bucket "shithub-${long}-backups" is 76 characters; S3 takes 3 to 63`);
  });
});

describe("the backup jobs' database password", () => {
  it("leaves the URL (pg_dump's argv) for a pgpass line that names the same host, port, database and user", () => {
    expect(splitPassword("postgresql://shithub_backup:p%3Aw%5Cd%40x@10.10.0.3:5432/shithub?sslmode=require")).toEqual({
      url: "postgresql://shithub_backup@10.10.0.3:5432/shithub?sslmode=require",
      pgpass: "10.10.0.3:5432:shithub:shithub_backup:p\\:w\\\\d@x\n",
    });
  });

  it("the backup host's settings carry no password; the pgpass file does, installed root 0600", () => {
    const files = backupHostFiles({
      host: "h", dump: true, wal: false, dbLocal: false, databaseUrl: "postgresql://shithub_backup:s3cret@10.10.0.3:5432/shithub?sslmode=require", platform: platformOf("debian-12-x64")!,
      spaces: { provider: "DigitalOcean", endpoint: "e", buckets: { backups: "b", wal: "w" } }, recipients: ["age1example"],
      dumpKey: { accessKey: "a", secretKey: "s" },
    });
    expect(files["backup.env"]).not.toContain("s3cret");
    expect(files["backup.env"]).toContain('BACKUP_DATABASE_URL="postgresql://shithub_backup@10.10.0.3:5432/shithub?sslmode=require"\nPGPASSFILE=/etc/shithub-backup/pgpass\n');
    expect(files.pgpass).toBe("10.10.0.3:5432:shithub:shithub_backup:s3cret\n");
  });
});

describe("settings that must agree with each other (security review family 10)", () => {
  it("WAL is kept at least as long as the weekly base backup it replays on, plus a day", () => {
    expect(problemsOf(rawConfig({ set: { "shithubd:walRetentionDays": "6" } })).map((p) => [p.key, p.message])).toEqual([[
      "shithubd:walRetentionDays",
      "is 6 days, less than the weekly base backup's 7 plus a day: the segments between the newest base backup and now would expire before the next one, and recovery could not reach the present",
    ]]);
    expect(configOf(rawConfig({ set: { "shithubd:walRetentionDays": "8" } })).backups.buckets.find((b) => b.id === "wal")!.rules).toContainEqual({ id: "wal", prefix: "wal/", expirationDays: 8 });
  });
});

it("the repositories' root is where the volume, the units' sandbox and the repositories' backup expect it", () => {
  expect(problemsOf(rawConfig({ set: { "shithubd:SHITHUB_STORAGE__REPOS_ROOT": "/srv/git" } })).map((p) => [p.key, p.message, p.fix])).toEqual([[
    "shithubd:SHITHUB_STORAGE__REPOS_ROOT",
    "is /srv/git, but the repositories live at /data/repos: the app host's volume, the only path the units may write, and what the repositories' backup snapshots",
    "pulumi config rm shithubd:SHITHUB_STORAGE__REPOS_ROOT -s staging",
  ]]);
  expect(configOf(rawConfig({ set: { "shithubd:SHITHUB_STORAGE__REPOS_ROOT": "/data/repos" } })).stack).toBe("staging");
});

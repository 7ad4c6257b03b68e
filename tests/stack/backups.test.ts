import { recipientOf } from "../../components/backups/ageKeys";
import type { RecordedResource } from "../../offline/run";
import { SECRET_SIG, unwrapSecret } from "../../offline/summary";
import { planOf, ROOT, stackCopy } from "./stackCopy";

const BUCKET = "digitalocean:index/spacesBucket:SpacesBucket";
const KEY = "digitalocean:index/spacesKey:SpacesKey";
const COMMAND = "command:remote:Command";

const plan = planOf;
const named = (rs: RecordedResource[], name: string) => rs.find((r) => r.name === name)!;

describe("production buckets", () => {
  it("has the dump, WAL, repository, DR and runtime buckets: private, versioned, protected and retained, with lifecycle", async () => {
    const { resources } = await plan(ROOT, "production");
    const buckets = resources.filter((r) => r.type === BUCKET).sort((a, b) => a.name.localeCompare(b.name));
    expect(buckets.map((b) => [b.inputs.name, b.inputs.region])).toEqual([
      ["shithub-backups", "nyc3"], ["shithub-backups-dr", "sfo3"], ["shithub-objects", "nyc3"], ["shithub-objects-dr", "sfo3"], ["shithub-repos", "nyc3"], ["shithub-repos-dr", "sfo3"],
      ["shithub-wal", "nyc3"], ["shithub-wal-dr", "sfo3"],
    ]);
    for (const b of buckets) {
      expect([b.name, b.inputs.acl, b.inputs.forceDestroy, b.inputs.versioning, b.options?.protect, b.options?.retainOnDelete])
        .toEqual([b.name, "private", false, { enabled: true }, true, true]);
    }
    expect(named(resources, "shithub-backups").inputs.lifecycleRules).toEqual(expect.arrayContaining([
      { id: "daily", enabled: true, prefix: "daily/", expiration: { days: 90 } },
      { id: "abort-incomplete-uploads", enabled: true, prefix: "", abortIncompleteMultipartUploadDays: 2 },
    ]));
    expect(named(resources, "shithub-wal").inputs.lifecycleRules).toContainEqual({ id: "wal", enabled: true, prefix: "wal/", expiration: { days: 30 } });
  });

  it("scopes each key to the buckets and access it needs", async () => {
    const { resources } = await plan(ROOT, "production");
    const grants = Object.fromEntries(resources.filter((r) => r.type === KEY).map((k) => [k.name, k.inputs.grants]));
    expect(grants).toEqual({
      // One key per job (security review H3).
      "shithub-production-dump": [{ bucket: "shithub-backups", permission: "readwrite" }],
      "shithub-production-wal": [{ bucket: "shithub-wal", permission: "readwrite" }],
      "shithub-production-repos": [{ bucket: "shithub-repos", permission: "readwrite" }],
      "shithub-production-dr-sync": [
        { bucket: "shithub-backups", permission: "read" }, { bucket: "shithub-wal", permission: "read" }, { bucket: "shithub-repos", permission: "read" }, { bucket: "shithub-objects", permission: "read" },
        { bucket: "shithub-backups-dr", permission: "readwrite" }, { bucket: "shithub-wal-dr", permission: "readwrite" }, { bucket: "shithub-repos-dr", permission: "readwrite" }, { bucket: "shithub-objects-dr", permission: "readwrite" },
      ],
      "shithub-production-app": [{ bucket: "shithub-objects", permission: "readwrite" }],
      // The web hosts' heartbeats: read the dumps' bucket and its DR copy, write nothing.
      "shithub-production-observer": [{ bucket: "shithub-backups", permission: "read" }, { bucket: "shithub-backups-dr", permission: "read" }],
    });
  });

  it("holds every key on the hosts whose jobs use it, and nowhere else", async () => {
    const { files } = await plan(ROOT, "production");
    const keysOn = (host: string) => files.filter((f) => f.host === host && !f.path.startsWith("/run/") && /(rclone\.conf|restic\.env)$/.test(f.path)).map((f) => f.path).sort();
    expect(["shithub-app", "shithub-db", "shithub-backup", "shithub-monitoring"].map((h) => [h, keysOn(h)])).toEqual([
      ["shithub-app", ["/etc/shithub-observer/rclone.conf", "/etc/shithub-repos-backup/restic.env"]],
      ["shithub-db", ["/etc/shithub-backup/wal-rclone.conf"]],
      ["shithub-backup", ["/etc/shithub-backup/rclone.conf"]],
      ["shithub-monitoring", ["/etc/shithub-dr/rclone.conf"]],
    ]);
  });

  it("a delete guard on every bucket: nothing deletes a dump, WAL or DR object, nor a version of the repositories' or of shithubd's objects (S3 API, through @pulumi/aws)", async () => {
    const { resources } = await plan(ROOT, "production");
    const policies = resources.filter((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy");
    const denied = Object.fromEntries(policies.map((p) => {
      const doc = JSON.parse(String(p.inputs.policy)) as { Statement: Array<{ Effect: string; Principal: unknown; Action: string[]; Resource: string[] }> };
      expect(doc.Statement.map((st) => [st.Effect, st.Principal, st.Resource])).toEqual([["Deny", "*", [`arn:aws:s3:::${String(p.inputs.bucket)}/*`]]]);
      expect([p.options?.protect, p.options?.retainOnDelete]).toEqual([true, true]);
      return [String(p.inputs.bucket), doc.Statement[0]!.Action];
    }));
    const both = ["s3:DeleteObject", "s3:DeleteObjectVersion"];
    expect(denied).toEqual({
      "shithub-backups": both, "shithub-backups-dr": both, "shithub-wal": both, "shithub-wal-dr": both,
      "shithub-repos": ["s3:DeleteObjectVersion"], "shithub-repos-dr": both,
      // shithubd deletes users' objects as they do; their versions stay (security review N6).
      "shithub-objects": ["s3:DeleteObjectVersion"], "shithub-objects-dr": both,
    });
    // Each through the S3 provider of its bucket's region.
    const providers = resources.filter((r) => r.type === "pulumi:providers:aws");
    expect(providers.map((p) => [p.inputs.endpoints, p.inputs.region, p.inputs.skipCredentialsValidation, p.inputs.skipRequestingAccountId])).toEqual([
      ['[{"s3":"https://nyc3.digitaloceanspaces.com"}]', "us-east-1", "true", "true"],
      ['[{"s3":"https://sfo3.digitaloceanspaces.com"}]', "us-east-1", "true", "true"],
    ]);
  });

  it("sets up dumps on the backup host and WAL archiving on the db host; the keys reach them only as secrets", async () => {
    const { resources, files } = await plan(ROOT, "production");
    const setups = resources.filter((r) => r.name.endsWith("-backup-setup") && !r.name.endsWith("-repos-backup-setup"));
    expect(setups.map((s) => s.name).sort()).toEqual(["shithub-backup-backup-setup", "shithub-db-backup-setup"]);
    for (const s of setups) expect(Object.keys(s.inputs.stdin as object)).toContain(SECRET_SIG);
    const bundle = files.find((f) => f.host === "shithub-backup" && f.path === "/run/shithub-backup-setup.bundle")!;
    expect(bundle.secret).toBe(true);
    expect(bundle.content).toContain("ROLE_DUMP=1\nROLE_WAL=0\n");
    expect(files.find((f) => f.host === "shithub-db" && f.path === "/run/shithub-backup-setup.bundle")!.content).toContain("ROLE_DUMP=0\nROLE_WAL=1\n");
  });

  it("the weekly drill's identity: generated once (32 random bytes, secret in state), its recipient in every recipients file, its identity on the host that dumps only", async () => {
    const { resources, files } = await plan(ROOT, "production");
    const bytes = resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes" && r.name.endsWith("-drill-identity"));
    expect(bytes.map((b) => [b.name, b.inputs.length])).toEqual([["shithub-production-backup-drill-identity", 32]]);
    const identities = files.filter((f) => f.path === "/etc/shithub-backup/drill.key");
    expect(identities.map((f) => [f.host, f.secret])).toEqual([["shithub-backup", true]]);
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(identities[0]!.content)![0];
    const drill = recipientOf(identity)!;
    const recipientFiles = files.filter((f) => f.path === "/etc/shithub-backup/recipients");
    expect(recipientFiles.map((f) => f.host).sort()).toEqual(["shithub-backup", "shithub-db"]);
    for (const f of recipientFiles) {
      const listed = f.content.split("\n").filter((l) => l.startsWith("age1"));
      // The operators' first (production: at least two), then the drill's.
      expect(listed.length).toBeGreaterThanOrEqual(3);
      expect(listed[listed.length - 1]).toBe(drill);
      expect(f.secret).toBe(false);
    }
    // No other file holds it as text (the setup's bundle carries it encoded, and is a secret itself).
    expect(files.filter((f) => f.content.includes(identity)).map((f) => [f.host, f.path, f.secret])).toEqual([["shithub-backup", "/etc/shithub-backup/drill.key", true]]);
    const bundle = (host: string) => files.find((f) => f.host === host && f.path === "/run/shithub-backup-setup.bundle")!.content;
    expect(bundle("shithub-backup")).toContain("DRILL=1\n");
    expect(bundle("shithub-db")).toContain("DRILL=0\n");
  });

  it("feeds the runtime bucket and its key into the env files", async () => {
    const { files } = await plan(ROOT, "production");
    const web = files.find((f) => f.path === "/etc/shithub/web.env")!.content;
    expect(web).toContain('SHITHUB_STORAGE__S3__ENDPOINT="nyc3.digitaloceanspaces.com"\n');
    expect(web).toContain('SHITHUB_STORAGE__S3__BUCKET="shithub-objects"\n');
    expect(web).toMatch(/SHITHUB_STORAGE__S3__ACCESS_KEY_ID="DO00MOCK\d+"\n/);
  });
});

describe("a release flagged as a major schema change", () => {
  it("backs up first: the release step waits for the tagged backup", async () => {
    const apart = (c: Record<string, unknown>) => {
      c["shithubd:majorSchemaChange"] = true;
      c["shithubd:hosts"] = [
        { name: "app-1", size: "s-2vcpu-4gb", roles: ["app"], volume: { name: "app-1-data", sizeGib: 50 } },
        { name: "db-1", size: "s-2vcpu-4gb", roles: ["db", "backup"], volume: { name: "db-1-data", sizeGib: 50 } },
      ];
    };
    const { resources } = await plan(stackCopy("production", apart), "production");
    const backup = named(resources, "db-1-pre-release-backup");
    expect(backup.inputs.create).toBe("/usr/local/bin/shithub-backup-daily --tag v1.8.0");
    expect(backup.options!.dependsOn).toEqual(["db-1-backup-setup"]);
    expect(named(resources, "app-1-release").options!.dependsOn).toContain("db-1-pre-release-backup");
    expect(resources.some((r) => r.name.endsWith("-post-release-drill"))).toBe(false); // production: no drill
  });

  it("on staging, also runs the restore drill against a post-deploy dump after the release", async () => {
    const { resources } = await plan(stackCopy("staging", (c) => { c["shithubd:majorSchemaChange"] = true; }), "staging");
    const drill = named(resources, "shithub-staging-post-release-drill");
    expect(drill.inputs.create).toContain("shithub-backup-daily --tag v1.8.1-post");
    expect(drill.inputs.create).toContain("/usr/local/bin/shithub-restore-drill");
    expect(drill.options!.dependsOn).toEqual(["shithub-staging-release"]);
    expect(resources.filter((r) => r.type === COMMAND).map((r) => r.name).sort()).toEqual([
      "shithub-staging-access-setup", "shithub-staging-audit", "shithub-staging-backup-observer-setup", "shithub-staging-backup-setup", "shithub-staging-db-setup", "shithub-staging-dr-sync-setup", "shithub-staging-edge-setup", "shithub-staging-git-ssh-setup",
      "shithub-staging-metrics-setup", "shithub-staging-monitoring-setup", "shithub-staging-ops-setup", "shithub-staging-post-release-drill", "shithub-staging-postgres-metrics-setup",
      "shithub-staging-pre-release-backup", "shithub-staging-release", "shithub-staging-repos-backup-setup",
    ]);
  });

  it("the connection of every step holds the key only as a secret", async () => {
    const { resources } = await plan(ROOT, "production");
    for (const r of resources.filter((x) => x.type === COMMAND)) {
      expect(Object.keys(r.inputs.connection as object)).toContain(SECRET_SIG);
      expect(unwrapSecret(r.inputs.connection)).toMatchObject({ user: "root" });
    }
  });
});

describe("what remote steps leave in state", () => {
  it.each(["staging", "production"])("%s: every step's output is kept encrypted, as its input is (security review L1)", async (stack) => {
    // A major schema change adds the pre-release backup and, on staging, the post-release drill.
    const { resources } = await plan(stackCopy(stack, (c) => { c["shithubd:majorSchemaChange"] = true; }), stack);
    const steps = resources.filter((r) => r.type === "command:remote:Command");
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(/-pre-release-backup$/)]));
    for (const s of steps) expect([s.name, s.options?.additionalSecretOutputs]).toEqual([s.name, expect.arrayContaining(["stdout", "stderr"])]);
  });
});

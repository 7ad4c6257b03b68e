import { parseRecoveryConfig } from "../../components/recovery/recoveryConfig";

const parse = (value: unknown, extra: Record<string, string> = {}, objectsBucket?: string) =>
  parseRecoveryConfig("production-sfo3", new Map([["recovery", typeof value === "string" ? value : JSON.stringify(value)], ...Object.entries(extra)]),
    { prefix: "shithub-sfo3", ...(objectsBucket !== undefined ? { objectsBucket } : {}) });

describe("shithubd:recovery", () => {
  it("unset: no recovery, no problem", () => {
    expect(parseRecoveryConfig("staging", new Map(), { prefix: "shithub-staging" })).toEqual({ problems: [] });
  });

  it("from the DR copies of a lost stack: its buckets' -dr names, in the region given", () => {
    expect(parse({ from: "dr", bucketPrefix: "shithub", region: "sfo3", to: "2026-12-01T06:00:00Z" })).toEqual({
      config: {
        from: "dr", bucketPrefix: "shithub", region: "sfo3", to: "2026-12-01T06:00:00Z",
        buckets: { wal: "shithub-wal-dr", repos: "shithub-repos-dr", objects: "shithub-objects-dr", backups: "shithub-backups-dr" },
      },
      problems: [],
    });
  });

  it("from the primaries, its own prefix by default: the same stack after losing its hosts", () => {
    expect(parse({ from: "primary", region: "nyc3" }).config?.buckets).toEqual({ wal: "shithub-sfo3-wal", repos: "shithub-sfo3-repos", objects: "shithub-sfo3-objects", backups: "shithub-sfo3-backups" });
  });

  it("the same stack's primaries, with an adopted objects bucket (shithubd:objectsBucket): its objects are read where shithubd wrote them", () => {
    expect(parse({ from: "primary", region: "nyc3" }, {}, "shithub-media").config?.buckets.objects).toBe("shithub-media");
    // Another stack's primaries: its prefix's name, unless its adopted bucket is named.
    expect(parse({ from: "primary", region: "nyc3", bucketPrefix: "shithub" }, {}, "shithub-media").config?.buckets.objects).toBe("shithub-objects");
    expect(parse({ from: "primary", region: "nyc3", bucketPrefix: "shithub", objectsBucket: "old-media" }).config?.buckets.objects).toBe("old-media");
    // The DR copy of an adopted bucket has the prefix's -dr name.
    expect(parse({ from: "dr", region: "sfo3" }, {}, "shithub-media").config?.buckets.objects).toBe("shithub-sfo3-objects-dr");
  });

  it.each([
    ["an adopted objects bucket with the DR copies", { from: "dr", region: "sfo3", objectsBucket: "old-media" }, /'objectsBucket' names an adopted primary objects bucket/],
    ["an objects bucket S3 refuses", { from: "primary", region: "sfo3", objectsBucket: "Old_Media" }, /'objectsBucket' must be the lost stack's objects bucket/],
    ["not an object", "dr", /must be an object with from, bucketPrefix and region/],
    ["a field it does not read", { from: "dr", region: "sfo3", target: "x" }, /has 'target', which it does not read: its fields are from, bucketPrefix, region, to, objectsBucket/],
    ["no source", { region: "sfo3" }, /'from' must be dr \(the DR copies\) or primary/],
    ["a region DigitalOcean does not have", { from: "dr", region: "mars1" }, /'region' must be the DigitalOcean region the DR copies are in/],
    ["a bucket prefix S3 refuses", { from: "dr", region: "sfo3", bucketPrefix: "Shithub_Prod" }, /'bucketPrefix' must be the lost stack's bucket prefix/],
    ["a time without its zone", { from: "dr", region: "sfo3", to: "2026-12-01 06:00:00" }, /'to' must be a time with its zone/],
    ["a date that does not exist", { from: "dr", region: "sfo3", to: "2026-13-45T06:00:00Z" }, /'to' must be a time with its zone/],
    ["a day the month does not have", { from: "dr", region: "sfo3", to: "2026-02-29T06:00:00Z" }, /'to' must be a time with its zone/],
  ])("refuses %s, with the key, the stack and a command that sets it right", (_what, value, message) => {
    const { config, problems } = parse(value);
    expect(config).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ stack: "production-sfo3", key: "shithubd:recovery", message: expect.stringMatching(message) });
    expect(problems[0]!.fix).toBe(`pulumi config set shithubd:recovery '{"from":"dr","bucketPrefix":"shithub","region":"sfo3"}' -s production-sfo3`);
  });

  it("refuses a recovery during a takeover", () => {
    expect(parse({ from: "dr", region: "sfo3" }, { takeover: "standby" }).problems[0]).toMatchObject({
      message: expect.stringContaining("not both at once"), fix: "pulumi config rm shithubd:recovery -s production-sfo3",
    });
  });
});

import { describeConflict, lifecycleConflicts } from "../../components/backups/lifecycle";

describe("lifecycleConflicts", () => {
  it("finds the operators' hazard: an empty-prefix 30-day rule next to daily/ at 90 days", () => {
    const rules = [
      { id: "wal", prefix: "", expirationDays: 30 },
      { id: "daily", prefix: "daily/", expirationDays: 90 },
    ];
    const conflicts = lifecycleConflicts(rules);
    expect(conflicts.map(describeConflict)).toEqual([
      "rule 'wal' (prefix '', 30 days) also matches prefix 'daily/' of rule 'daily' (90 days): objects under 'daily/' are deleted after 30 days",
    ]);
  });

  it("accepts disjoint prefixes and broader rules that expire later", () => {
    expect(lifecycleConflicts([
      { id: "daily", prefix: "daily/", expirationDays: 90 },
      { id: "wal", prefix: "wal/", expirationDays: 30 },
      { id: "uploads", prefix: "", abortMultipartDays: 2 },
    ])).toEqual([]);
    expect(lifecycleConflicts([
      { id: "all", prefix: "", expirationDays: 365 },
      { id: "tmp", prefix: "tmp/", expirationDays: 7 },
    ])).toEqual([]);
  });

  it("counts a narrower rule without expiration as an intent to keep", () => {
    const [c] = lifecycleConflicts([
      { id: "all", prefix: "", expirationDays: 30 },
      { id: "release-backups", prefix: "pre-release/" },
    ]);
    expect(describeConflict(c!)).toMatch(/of rule 'release-backups' \(to keep them\): objects under 'pre-release\/' are deleted after 30 days/);
  });

  it("nests: daily/ inside d inside ''", () => {
    const conflicts = lifecycleConflicts([
      { id: "root", prefix: "", expirationDays: 10 },
      { id: "d", prefix: "d", expirationDays: 20 },
      { id: "daily", prefix: "daily/", expirationDays: 90 },
    ]);
    expect(conflicts.map((c) => `${c.broader.id}>${c.narrower.id}`).sort()).toEqual(["d>daily", "root>d", "root>daily"]);
  });
});

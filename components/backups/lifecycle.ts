/** One lifecycle rule of a Spaces bucket (the subset Spaces implements). */
export interface LifecycleRule {
  readonly id: string;
  /** Objects whose key starts with this; "" is every object. */
  readonly prefix: string;
  /** Days after which current objects expire; undefined keeps them. */
  readonly expirationDays?: number;
  /** Days after which noncurrent versions expire (versioned buckets). */
  readonly noncurrentDays?: number;
  readonly abortMultipartDays?: number;
}

export interface LifecycleConflict {
  readonly broader: LifecycleRule;
  readonly narrower: LifecycleRule;
  /** What actually happens to objects under the narrower rule's prefix. */
  readonly effectiveDays: number;
}

/**
 * Rule pairs where a broader rule (its prefix is a prefix of the other's, "" included)
 * expires objects sooner than the narrower rule intends: S3 applies every matching rule,
 * so the earliest expiration wins and the narrower rule's retention is a fiction. This is
 * how the operators' WAL rule with an empty prefix (30 days) cut daily dumps (`daily/`,
 * 90 days) to 30.
 */
export function lifecycleConflicts(rules: readonly LifecycleRule[]): LifecycleConflict[] {
  const conflicts: LifecycleConflict[] = [];
  for (const narrower of rules) {
    for (const broader of rules) {
      if (broader === narrower || !narrower.prefix.startsWith(broader.prefix)) continue;
      if (broader.prefix === narrower.prefix && broader.id > narrower.id) continue; // same prefix: report once
      if (broader.expirationDays === undefined) continue;
      const intended = narrower.expirationDays ?? Infinity;
      if (broader.expirationDays < intended) conflicts.push({ broader, narrower, effectiveDays: broader.expirationDays });
    }
  }
  return conflicts;
}

export function describeConflict(c: LifecycleConflict): string {
  const intended = c.narrower.expirationDays === undefined ? "to keep them" : `${c.narrower.expirationDays} days`;
  return `rule '${c.broader.id}' (prefix '${c.broader.prefix}', ${c.broader.expirationDays} days) also matches prefix ` +
    `'${c.narrower.prefix}' of rule '${c.narrower.id}' (${intended}): objects under '${c.narrower.prefix}' are deleted after ${c.effectiveDays} days`;
}

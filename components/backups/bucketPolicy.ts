import type { BucketPlan } from "./buckets";

/** An S3 bucket policy document (the subset these buckets use). */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: ReadonlyArray<{
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal: "*" | { readonly AWS: readonly string[] };
    readonly Action: readonly string[];
    readonly Resource: readonly string[];
  }>;
}

/**
 * The policy that makes a backup bucket keep what is in it, whoever holds a key: a deny to every
 * principal (the bucket owner's full-access key included) on deleting objects or their versions,
 * as the bucket's guard says. Expiry by the lifecycle rules is the bucket's own and still runs.
 * Undefined when the bucket has no guard.
 */
export function deleteGuardPolicy(bucket: BucketPlan): PolicyDocument | undefined {
  const actions = bucket.guard === "objects" ? ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    : bucket.guard === "versions" ? ["s3:DeleteObjectVersion"] : [];
  if (actions.length === 0) return undefined;
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: bucket.guard === "objects" ? "KeepEveryObject" : "KeepEveryVersion",
      Effect: "Deny",
      Principal: "*",
      Action: actions,
      Resource: [`arn:aws:s3:::${bucket.name}/*`],
    }],
  };
}

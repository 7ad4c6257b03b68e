import { isIP } from "node:net";

/**
 * Why S3 (and so Spaces and radosgw) would refuse `name` as a bucket, or undefined: 3 to 63
 * characters of lower-case letters, digits and hyphens (dots break virtual-host TLS, so none),
 * a letter or digit at each end, not an IP address, not a reserved prefix or suffix.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `is ${name.length} characters; S3 takes 3 to 63`;
  if (!/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(name)) return "may hold only lower-case letters, digits and inner hyphens";
  if (isIP(name) !== 0) return "must not be an IP address";
  if (name.startsWith("xn--") || name.startsWith("sthree-")) return "must not start with xn-- or sthree- (reserved)";
  if (name.endsWith("-s3alias") || name.endsWith("--ol-s3")) return "must not end with -s3alias or --ol-s3 (reserved)";
  return undefined;
}

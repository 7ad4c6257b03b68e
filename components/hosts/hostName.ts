import { isIP } from "node:net";

/** Linux's HOST_NAME_MAX: the droplet name becomes the host's name (cloud-init `hostname:`). */
const HOST_NAME_MAX = 64;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Why `name` cannot be a droplet's name, read as Linux and DNS read a host name, or undefined:
 * labels of letters, digits and inner hyphens, a last label that is not all digits (resolvers
 * read `123` or `app.10` as an address), not an IP address, at most 64 characters.
 */
export function hostNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > HOST_NAME_MAX) return `must be 1 to ${HOST_NAME_MAX} characters (Linux's longest host name)`;
  if (isIP(name) !== 0) return "must be a name, not an IP address";
  const labels = name.split(".");
  if (!labels.every((l) => LABEL.test(l))) return "must be DNS labels of letters, digits and inner hyphens, joined by dots";
  if (/^\d+$/.test(labels.at(-1)!)) return "must not end in an all-digit label: resolvers read such a name as an address";
  return undefined;
}

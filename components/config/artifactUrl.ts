/** A release name as the {version} placeholder stands for it, to read the template as a URL. */
const SAMPLE_VERSION = "v1.0.0";

/** Characters curl reads as a glob pattern ([a-z], {a,b}): a URL must name one file. */
const CURL_GLOB = /[[\]{}]/;
/** An IPv6 literal host, the one place a URL has brackets (the host's curl runs with --globoff). */
const IPV6_HOST = /^https:\/\/\[[0-9A-Fa-f:.]+\](?::\d+)?(?=[/?]|$)/;

/**
 * Why `template` (shithubd:artifactUrl) is not a URL app hosts may download a binary from, or
 * undefined. Read as a URL, not as text: https only (the host's curl refuses anything else,
 * redirects included), a host, no credentials (they would sit in curl's argv on the host), and
 * nothing curl would expand as a glob once {version} is filled in.
 */
export function artifactUrlProblem(template: string): string | undefined {
  if (!template.includes("{version}")) return "must contain {version}, which stands for shithubd:version";
  const filled = template.replaceAll("{version}", SAMPLE_VERSION);
  if (/\s/.test(filled)) return "must be one URL without spaces";
  // What WHATWG's parser reads differently from curl's: a backslash (a slash to one, a path
  // character to the other), and anything outside printable ASCII (curl sends bytes as they are).
  if (filled.includes("\\")) return "must not contain a backslash: curl and this check would read the URL differently";
  if (!/^[\x21-\x7e]*$/.test(filled)) return "must be printable ASCII (percent-encode anything else): invisible and non-ASCII characters read differently in curl";
  if (/^https:\/\/\[[^\]]*%/.test(filled)) return "must not carry an IPv6 zone index: it names an interface of one machine";
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    return "must be an absolute https URL containing {version}";
  }
  if (url.protocol !== "https:") return `must be an https URL (not ${url.protocol.replace(/:$/, "")}): hosts download only over https, redirects included`;
  if (url.hostname === "") return "must name a host";
  if (url.username !== "" || url.password !== "") return "must not carry credentials: they would be visible in the host's process list";
  if (CURL_GLOB.test(filled.replace(IPV6_HOST, ""))) return "must not contain [ ] { } besides {version}: curl would read them as a pattern of several URLs";
  if (url.hash !== "") return "must not have a #fragment";
  return undefined;
}

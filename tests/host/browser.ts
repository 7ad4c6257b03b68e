import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** One answer, as a browser sees it (redirects are not followed). */
export interface Page {
  readonly status: number;
  readonly location: string;
  readonly body: string;
}

/**
 * A person's browser against https://<domain>/ through the edge: curl with a cookie jar of its
 * own, trusting only the test world's ACME root, sending from `from` (one of clientAddresses)
 * when given. Forms carry the CSRF token the page they came from holds, as a browser's do.
 */
export class Browser {
  private readonly jar: string;

  constructor(
    private readonly options: { readonly domain: string; readonly address: string; readonly ca: string; readonly dir: string; readonly name: string; readonly from?: string },
  ) {
    this.jar = join(options.dir, `cookies-${options.name}`);
  }

  private curl(path: string, extra: readonly string[]): Page {
    const { domain, address, ca, from } = this.options;
    const r = spawnSync("curl", ["-sS", "--max-time", "30", "--cacert", ca, "--resolve", `${domain}:443:${address}`, "-c", this.jar, "-b", this.jar,
      ...(from === undefined ? [] : ["--interface", from]), "-o", "-", "-w", "\n%{http_code} %{redirect_url}", ...extra, `https://${domain}${path}`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`curl ${path}: exit ${r.status}: ${r.stderr}`);
    const cut = r.stdout.lastIndexOf("\n");
    const [status, location] = r.stdout.slice(cut + 1).split(" ");
    return { status: Number(status), location: (location ?? "").replace(`https://${domain}`, ""), body: r.stdout.slice(0, cut) };
  }

  get(path: string): Page {
    return this.curl(path, []);
  }

  /** Fills in the form on the page at `path` (GET first, for its CSRF token) and submits it. */
  submit(path: string, fields: Readonly<Record<string, string>>): Page {
    const form = this.get(path);
    const token = /name="csrf_token" value="([^"]+)"/.exec(form.body)?.[1];
    if (form.status !== 200 || token === undefined) throw new Error(`GET ${path}: ${form.status}, no CSRF token in the form:\n${form.body.slice(0, 500)}`);
    const data = Object.entries({ ...fields, csrf_token: token }).flatMap(([k, v]) => ["--data-urlencode", `${k}=${v}`]);
    return this.curl(path, data);
  }
}

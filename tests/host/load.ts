import { Agent, request } from "node:https";

/** What users felt during a load run: every request that did not end in a 2xx counts as failed. */
export interface LoadResult {
  readonly sent: number;
  readonly failed: number;
  /** Failures by status code (with " Retry-After" when the answer had one) or error. */
  readonly kinds: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** GETs sent again because the server had closed the idle connection they went out on. */
  readonly staleRetries: number;
  /** Requests that took over 500 ms: how many, and when the first and last of them left (s after the start). */
  readonly slow: { readonly count: number; readonly fromS: number; readonly toS: number };
}

export interface LoadOptions {
  /** https://<domain>/<path>: the name is sent as SNI and Host. */
  readonly url: string;
  /** Where the domain points (the edge's public address). */
  readonly address: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  /** The CA that vouches for the edge's certificate. */
  readonly ca: Buffer;
  /** Client addresses on this host to send from, in turn (clientAddresses): the users. Default: the host's own. */
  readonly sources?: readonly string[];
}

/**
 * An open-loop client: request i leaves at i/rate seconds whether or not earlier ones have
 * answered, so a stalled server shows as latency and failures instead of fewer requests
 * (closed-loop tools such as wrk hide the stall). Keep-alive, 30 s timeout per request.
 */
export function openLoopLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(options.ratePerSecond * options.seconds);
  const results: Array<{ at: number; ms: number; outcome: string }> = [];
  const t0 = performance.now();
  let staleRetries = 0;
  return new Promise((resolve) => {
    const finish = (start: number, outcome: string) => {
      results.push({ at: (start - t0) / 1000, ms: performance.now() - start, outcome });
      if (results.length < total) return;
      agent.destroy();
      const ms = results.map((r) => r.ms).sort((a, b) => a - b);
      const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!);
      const kinds: Record<string, number> = {};
      for (const r of results) if (r.outcome !== "ok") kinds[r.outcome] = (kinds[r.outcome] ?? 0) + 1;
      const slow = results.filter((r) => r.ms > 500).map((r) => r.at).sort((a, b) => a - b);
      resolve({ sent: total, failed: Object.values(kinds).reduce((a, b) => a + b, 0), kinds, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Math.round(ms[ms.length - 1]!),
        slow: { count: slow.length, fromS: slow[0] ?? 0, toS: slow[slow.length - 1] ?? 0 }, staleRetries });
    };
    const one = (i: number) => {
      const localAddress = options.sources?.[i % options.sources.length];
      const start = performance.now();
      let done = false;
      const end = (outcome: string) => {
        if (done) return;
        done = true;
        finish(start, outcome);
      };
      const send = (retry: boolean) => {
        // Sent again, it goes out on a new connection, as a browser's would: the server that closed
        // one idle connection (a reload of the edge) may have closed the pool's others too.
        const req = request({ host: options.address, port: 443, path: url.pathname + url.search, servername: url.hostname, headers: { Host: url.host },
          localAddress, agent: retry ? agent : false, ca: options.ca, timeout: 30_000 }, (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          // A refusal that tells the client when to come back is told apart from one that does not.
          res.on("end", () => end(status >= 200 && status < 300 ? "ok" : `${status}${res.headers["retry-after"] !== undefined ? " Retry-After" : ""}`));
          res.on("error", (e: NodeJS.ErrnoException) => end(e.code ?? e.message));
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e: NodeJS.ErrnoException) => {
          // A server may close an idle keep-alive connection just as a request goes out on it;
          // browsers send such a GET again on a new connection, once (RFC 9112 §9.3.1), and so do we.
          if (retry && req.reusedSocket && e.code === "ECONNRESET") {
            staleRetries++;
            send(false);
            return;
          }
          end(`${e.code ?? e.message}${retry ? "" : " sent again"}`);
        });
        req.end();
      };
      send(true);
    };
    for (let i = 0; i < total; i++) setTimeout(() => one(i), (i * 1000) / options.ratePerSecond);
  });
}

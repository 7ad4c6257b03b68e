import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { join } from "node:path";
import { freePort } from "./toolHelpers";

// The test double's `shithubd web` drains as net/http's Server.Shutdown does (SIGTERM in a
// release's restart): the listener closes, idle keep-alive connections are closed, and a request
// whose first byte has arrived is answered whole, with "Connection: close". A request cut in the
// middle shows at the edge as a reset client connection.

const FAKE = join(__dirname, "..", "host", "fake-shithubd.py");
let web: ChildProcess;
let port: number;
let log = "";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection and everything it receives until the server ends it. */
function open(): Promise<{ socket: Socket; received: () => string; ended: Promise<"end" | "reset"> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => { data += d.toString(); });
    const ended = new Promise<"end" | "reset">((r) => {
      socket.on("end", () => r("end"));
      socket.on("error", () => r("reset"));
    });
    socket.once("connect", () => resolve({ socket, received: () => data, ended }));
    socket.once("error", reject);
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(50);
  if (!check()) throw new Error(`${what}; the web said:\n${log}`);
}

beforeEach(async () => {
  port = await freePort();
  log = "";
  web = spawn("python3", [FAKE, "web", "--addr", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  web.stderr!.on("data", (d) => { log += d.toString(); });
  await until("the web did not start", () => log.includes("shithub web server starting"));
});

afterEach(() => { web.kill("SIGKILL"); });

const exited = () => new Promise<number | null>((r) => (web.exitCode !== null ? r(web.exitCode) : web.once("exit", (code) => r(code))));

it("a request whose first bytes arrived before SIGTERM is answered whole, with Connection: close, and the web exits 0", async () => {
  const c = await open();
  c.socket.write("GET /healthz HTTP/1.1\r\n");
  await sleep(300);
  web.kill("SIGTERM");
  await until("no shutdown", () => log.includes("shutdown signal received"));
  await sleep(300);
  c.socket.write("Host: shithub.test\r\n\r\n");
  expect(await c.ended).toBe("end");
  const [head, body] = c.received().split("\r\n\r\n");
  expect({ status: head!.split("\r\n")[0], close: head!.split("\r\n").includes("Connection: close"), body }).toEqual({ status: "HTTP/1.1 200 OK", close: true, body: "ok\n" });
  expect(await exited()).toBe(0);
}, 30_000);

it("an idle keep-alive connection is closed cleanly at SIGTERM, and the web exits without waiting for it", async () => {
  const c = await open();
  c.socket.write("GET /healthz HTTP/1.1\r\nHost: shithub.test\r\n\r\n");
  await until("no first response", () => c.received().endsWith("ok\n"));
  expect(c.received()).not.toContain("Connection: close");
  const started = Date.now();
  web.kill("SIGTERM");
  expect(await c.ended).toBe("end");
  expect(await exited()).toBe(0);
  expect(Date.now() - started).toBeLessThan(5_000);
}, 30_000);

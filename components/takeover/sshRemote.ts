import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ran } from "./takeover";

/**
 * Each host as root over SSH: the command is one word for the remote shell, stdin piped. One
 * connection per host, multiplexed (ControlMaster): a window's steps are many short commands,
 * and a new connection's handshake each time would be most of the window.
 */
export function sshRemote<W extends string>(ssh: readonly string[], hosts: Readonly<Record<W, string>>): (where: W, command: string, input?: string) => Promise<Ran> {
  const sockets = mkdtempSync(join(tmpdir(), "shithub-takeover-ssh-"));
  const shared = ["-o", "ControlMaster=auto", "-o", `ControlPath=${join(sockets, "%C")}`, "-o", "ControlPersist=60"];
  process.once("exit", () => {
    for (const address of new Set(Object.values<string>(hosts))) spawnSync(ssh[0]!, [...ssh.slice(1), ...shared, "-O", "exit", `root@${address}`], { stdio: "ignore", timeout: 5000 });
    rmSync(sockets, { recursive: true, force: true });
  });
  return (where: W, command: string, input?: string) => new Promise<Ran>((done) => {
    const child = spawn(ssh[0]!, [...ssh.slice(1), ...shared, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", `root@${hosts[where]}`, command], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => done({ status: 255, stdout, stderr: `cannot run ${ssh[0]}: ${e.message}` }));
    child.on("close", (code) => done({ status: code ?? 255, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

import { spawn } from "node:child_process";
import type { Ran, Remote, TakeoverHosts, Where } from "./takeover";

/** Each host as root over SSH: the command is one word for the remote shell, stdin piped. */
export function sshRemote(ssh: readonly string[], hosts: TakeoverHosts): Remote {
  return (where: Where, command: string, input?: string) => new Promise<Ran>((done) => {
    const child = spawn(ssh[0]!, [...ssh.slice(1), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", `root@${hosts[where]}`, command], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => done({ status: 255, stdout, stderr: `cannot run ${ssh[0]}: ${e.message}` }));
    child.on("close", (code) => done({ status: code ?? 255, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

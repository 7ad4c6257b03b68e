import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { knownHosts } from "./opsHosts";
import type { OpsHost } from "./opsHosts";

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface OpsSsh {
  /** Runs `command` on `host` as root; its output collected, or passed line by line to `onLine` as it comes. */
  run(host: OpsHost, command: string, options?: { readonly input?: NodeJS.ReadableStream; readonly onLine?: (line: string) => void; readonly passThrough?: boolean }): Promise<Ran>;
  close(): void;
}

/**
 * SSH as root with the stack's deploy key, verifying each host against the key its steps pin (and
 * nothing else: no known_hosts of the operator's, no agent, no other identity). The key and the
 * known_hosts live in a directory only this user reads, removed when the command ends.
 */
export function opsSsh(hosts: readonly OpsHost[], privateKey: string, ssh: readonly string[] = ["ssh"]): OpsSsh {
  const dir = mkdtempSync(join(tmpdir(), "shithub-ops-"));
  const keyFile = join(dir, "deploy-key");
  const known = join(dir, "known_hosts");
  writeFileSync(keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
  writeFileSync(known, knownHosts(hosts), { mode: 0o600 });
  const close = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", close);
  const options = [
    "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
    "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${known}`, "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
  ];
  return {
    close,
    run: (host, command, opts = {}) => new Promise<Ran>((done) => {
      const child = spawn(ssh[0]!, [...ssh.slice(1), ...options, `root@${host.address}`, command], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let pending = "";
      // Decoded as a stream: a chunk can end inside a multi-byte character.
      const text = new StringDecoder("utf8");
      const errText = new StringDecoder("utf8");
      child.stdout.on("data", (d: Buffer) => {
        if (opts.passThrough === true) { process.stdout.write(d); return; }
        if (opts.onLine === undefined) { stdout += text.write(d); return; }
        pending += text.write(d);
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) opts.onLine(l);
      });
      child.stderr.on("data", (d: Buffer) => {
        if (opts.passThrough === true) process.stderr.write(d);
        else stderr += errText.write(d);
      });
      child.on("error", (e) => done({ status: 255, stdout, stderr: `cannot run ${ssh[0]}: ${e.message}` }));
      child.on("close", (code) => {
        pending += text.end();
        stderr += errText.end();
        if (opts.onLine === undefined) stdout += pending;
        else if (pending !== "") opts.onLine(pending);
        done({ status: code ?? 255, stdout, stderr });
      });
      if (opts.input !== undefined) opts.input.pipe(child.stdin);
      else child.stdin.end();
    }),
  };
}

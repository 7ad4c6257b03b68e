import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** The booted container of tests/host/ct.sh, reached over real SSH as root. */
export interface Machine {
  ssh(command: string, input?: string): { status: number; stdout: string; stderr: string; ms: number };
  /** Runs a command that must succeed; returns its trimmed stdout. */
  sh(command: string): string;
  down(): void;
}

export const CONTAINER_IP = "10.213.0.2";
export const HOST_IP = "10.213.0.1";
const CT = join(__dirname, "ct.sh");

/** Installs the host tools, boots a fresh copy of the cached tree in `work` and returns a way in. */
export function bootMachine(work: string): Machine {
  const key = join(work, "id_ed25519");
  execFileSync("bash", [CT, "tools"], { stdio: "inherit", timeout: 600_000 });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  execFileSync("bash", [CT, "up", work, `${key}.pub`], { stdio: "inherit", timeout: 900_000 });
  const ssh: Machine["ssh"] = (command, input) => {
    const start = performance.now();
    const run = spawnSync("ssh", ["-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
      "-o", "LogLevel=ERROR", `root@${CONTAINER_IP}`, command], { input: input ?? "", encoding: "utf8", timeout: 600_000 });
    return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr, ms: performance.now() - start };
  };
  return {
    ssh,
    sh(command) {
      const r = ssh(command);
      if (r.status !== 0) throw new Error(`${command}: exit ${r.status}: ${r.stderr}`);
      return r.stdout.trim();
    },
    down() {
      spawnSync("bash", [CT, "down", work], { stdio: "inherit" });
    },
  };
}

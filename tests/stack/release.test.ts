import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RELEASE_COMMAND } from "../../components/release/releaseBundle";
import { sha256File } from "../../components/config/releaseConfig";
import type { PlannedFile, RecordedResource } from "../../offline/run";
import { changedResources } from "../../offline/compare";
import { SECRET_SIG, unwrapSecret } from "../../offline/summary";
import { planOf, ROOT, stackCopy } from "./stackCopy";

const COMMAND = "command:remote:Command";
const isRelease = (r: RecordedResource) => r.type === COMMAND && r.name.endsWith("-release");

const plan = planOf;

/** The app host and the database on hosts of their own. */
const apart = (c: Record<string, unknown>) => {
  c["shithubd:hosts"] = [
    { name: "app-1", size: "s-2vcpu-4gb", roles: ["app"], volume: { name: "app-1-data", sizeGib: 50 } },
    { name: "db-1", size: "s-2vcpu-4gb", roles: ["db"], volume: { name: "db-1-data", sizeGib: 50 } },
  ];
};

const changed = (a: RecordedResource[], b: RecordedResource[]): string[] => changedResources(a, b).map((r) => r.name).sort();

const unit = (files: PlannedFile[], host: string, name: string) =>
  files.find((f) => f.host === host && f.path === `/etc/systemd/system/${name}`)!.content;

describe("the release steps", () => {
  it("one remote step per app host, running the release command with the bundle on stdin as a secret", async () => {
    const { resources } = await plan(ROOT, "production");
    const steps = resources.filter(isRelease);
    expect(steps.map((s) => s.name)).toEqual(["shithub-app-release"]);
    const step = steps[0]!;
    expect(step.inputs.create).toBe(RELEASE_COMMAND);
    expect(step.inputs.update).toBe(RELEASE_COMMAND);
    expect(step.inputs.logging).toBe("stderr");
    expect(step.inputs.stdin).toMatchObject({ [SECRET_SIG]: expect.any(String) });
    expect(step.inputs.connection).toMatchObject({ [SECRET_SIG]: expect.any(String) });
    expect(unwrapSecret(step.inputs.connection)).toMatchObject({ user: "root", dialErrorLimit: 30, perDialTimeout: 20 });
    // After the db host's setup: the first `migrate up` needs the database, its role and extensions;
    // after its own edge's setup: the edge's wait through a restart is in force before the restart.
    // after the db host's backup setup, whose WAL archiving restarts PostgreSQL.
    expect(step.options?.dependsOn.sort()).toEqual(["production-firewalls", "shithub-app", "shithub-app-edge-setup", "shithub-data-on-shithub-app", "shithub-db-backup-setup", "shithub-db-db-setup"]);
  });

  it("verifies the host key on every SSH step of both stacks: the key the stack made for the droplet, in its (secret) user data", async () => {
    for (const stack of ["staging", "production"]) {
      const { resources, outputs } = await plan(ROOT, stack);
      const hostAt = new Map(Object.entries((outputs as { hosts: Record<string, { publicIpv4: string }> }).hosts).map(([name, h]) => [h.publicIpv4, name]));
      const steps = resources.filter((r) => r.type.startsWith("command:remote:"));
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        const connection = unwrapSecret(step.inputs.connection) as { host: string; hostKey?: string };
        expect(`${step.name}: ${connection.hostKey}`).toMatch(new RegExp(`^${step.name}: ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$`));
        const droplet = resources.find((r) => r.type === "digitalocean:index/droplet:Droplet" && r.inputs.name === hostAt.get(connection.host))!;
        expect(droplet.inputs.userData).toHaveProperty(SECRET_SIG);
        const userData = String(unwrapSecret(droplet.inputs.userData));
        expect(userData).toContain(`  ed25519_public: ${connection.hostKey}\n`);
        expect(userData).toContain("ssh_deletekeys: true");
      }
    }
  });

  it("a host key pinned in config (a droplet made before the stack made its keys) is the one verified", async () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhUVgUYd8mK8q3FJqJCbq5qwlb2N0L0WbUqH2BZbV7E";
    const { resources } = await plan(stackCopy("production", (c) => {
      (c["shithubd:hosts"] as Array<Record<string, unknown>>)[0]!.hostKey = hostKey;
    }), "production");
    expect(unwrapSecret(resources.find(isRelease)!.inputs.connection)).toMatchObject({ hostKey });
  });

  it("the app host's web unit migrates first; with Postgres on its own host, the units wait for the network, not a local postgresql.service", async () => {
    const { files } = await plan(stackCopy("production", apart), "production");
    expect(unit(files, "app-1", "shithubd-web.service")).toContain("ExecStartPre=/usr/local/bin/shithubd migrate up");
    expect(unit(files, "app-1", "shithubd-web.service")).not.toContain("postgresql.service");
  });

  it("staging's single host orders its units after the local Postgres", async () => {
    const { files } = await plan(ROOT, "staging");
    expect(unit(files, "shithub-staging", "shithubd-web.service")).toContain("Requires=postgresql.service");
    expect(files.filter((f) => f.path === "/run/shithub-release.bundle").map((f) => [f.host, f.secret])).toEqual([["shithub-staging", true]]);
  });

  it("a version bump changes only the release step of each host, and its audit line", async () => {
    const before = await plan(stackCopy("production", apart), "production");
    const after = await plan(stackCopy("production", (c) => { apart(c); c["shithubd:version"] = "v1.9.0"; }), "production");
    // The release is followed by its host's audit line.
    expect(changed(before.resources, after.resources)).toEqual(["app-1-audit", "app-1-release"]);
    // ... unless the release is flagged as a major schema change: then a pre-deploy backup runs first.
  });

  it("an env value change changes only the release steps and their audit lines; nothing changes when nothing changed", async () => {
    const before = await plan(ROOT, "production");
    const same = await plan(ROOT, "production");
    expect(changed(before.resources, same.resources)).toEqual([]);
    const after = await plan(stackCopy("production", (c) => { c["shithubd:SHITHUB_WORKERS"] = "6"; }), "production");
    expect(changed(before.resources, after.resources)).toEqual(["shithub-app-audit", "shithub-app-release"]);
  });

  it("a binary built by the operator is uploaded first, then released with its own checksum", async () => {
    const binary = join(mkdtempSync(join(tmpdir(), "artifact-")), "shithubd");
    writeFileSync(binary, "#!/bin/sh\necho fake\n");
    const { resources, files } = await plan(stackCopy("production", (c) => {
      delete c["shithubd:artifactUrl"];
      c["shithubd:artifactPath"] = binary;
    }), "production");
    const upload = resources.find((r) => r.type === "command:remote:CopyToRemote")!;
    const sha = sha256File(binary);
    expect(upload.inputs.remotePath).toBe(`/root/shithubd-v1.8.0-${sha.slice(0, 12)}.upload`);
    expect(resources.find(isRelease)!.options!.dependsOn).toContain(upload.name);
    const bundle = files.find((f) => f.path === "/run/shithub-release.bundle")!.content;
    expect(bundle).toContain(`ARTIFACT_SHA256=${sha}\n`);
    expect(bundle).toContain(`ARTIFACT_UPLOAD=${upload.inputs.remotePath}\n`);
  });
});

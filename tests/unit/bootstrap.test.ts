import { parse } from "yaml";
import { renderUserData } from "../../components/hosts/bootstrap";
import { platformOf } from "../../components/hosts/platform";
import type { HostSpec } from "../../components/hosts/topology";
import { hostPackages } from "../../components/roles";
import { FOUR_HOSTS } from "../helpers";

const UBUNTU = platformOf("ubuntu-24-04-x64")!;
const ROLES = { gitSsh: true };
const userData = (h: unknown, swap = 2) => parse(renderUserData(h as HostSpec, swap, UBUNTU, ROLES)) as Record<string, unknown>;

describe("cloud-init user data", () => {
  it("installs each role's packages and mounts /data on the hosts with a volume", () => {
    const [app, db, backup, monitoring] = FOUR_HOSTS.map((h) => userData(h));
    expect(app!.packages).toEqual(hostPackages(FOUR_HOSTS[0] as HostSpec, UBUNTU, ROLES));
    expect(app!.packages).toEqual(expect.arrayContaining(["caddy", "git", "openssh-server"]));
    // The db host archives WAL to the bucket itself: rclone goes where WAL is archived.
    expect(db!.packages).toEqual(expect.arrayContaining(["postgresql", "postgresql-contrib", "rclone"]));
    // The backup host restores its drills into a scratch server of the db host's major version.
    expect(backup!.packages).toEqual(expect.arrayContaining(["rclone", "postgresql-client", "postgresql-16"]));
    expect(monitoring!.packages).toContain("prometheus-alertmanager");
    // With a monitoring host every host runs the metrics role.
    expect(hostPackages(FOUR_HOSTS[1] as HostSpec, UBUNTU, { ...ROLES, metrics: true })).toEqual(expect.arrayContaining(["prometheus", "prometheus-node-exporter", "prometheus-postgres-exporter"]));
    const mount = [["LABEL=shithub-data", "/data", "ext4", "defaults,nofail,discard,x-systemd.device-timeout=10min", "0", "2"]];
    expect(app!.mounts).toEqual(mount);
    expect(db!.mounts).toEqual(mount);
    expect(backup!.mounts).toBeUndefined();
  });

  it("keeps the server package from creating a cluster only where no database lives (the backup-only host)", () => {
    const files = (h: unknown) => (userData(h).write_files as Array<{ path: string; content: string }>);
    const noCluster = "/etc/postgresql-common/createcluster.d/50-shithub.conf";
    const [app, db, backup] = FOUR_HOSTS.map(files);
    expect(backup!.find((f) => f.path === noCluster)!.content).toContain("create_main_cluster = false");
    expect(db!.map((f) => f.path)).not.toContain(noCluster);
    expect(app!.map((f) => f.path)).not.toContain(noCluster);
    expect(files({ ...FOUR_HOSTS[1], roles: ["db", "backup"] }).map((f) => f.path)).not.toContain(noCluster);
  });

  it("creates no image user (it would get the droplet's keys and passwordless sudo): root and shithub only", () => {
    for (const h of FOUR_HOSTS) expect((userData(h).users as Array<unknown>)).toEqual([expect.objectContaining({ name: "shithub", system: true })]);
  });

  it("leaves swap out when the stack sets 0 GiB", () => {
    expect(userData(FOUR_HOSTS[1], 0).swap).toBeUndefined();
    expect(userData(FOUR_HOSTS[1], 4).swap).toEqual({ filename: "/swapfile", size: "4G", maxsize: "4G" });
  });
});

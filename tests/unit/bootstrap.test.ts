import { parse } from "yaml";
import { packagesFor, renderUserData } from "../../components/hosts/bootstrap";
import type { HostSpec } from "../../components/hosts/topology";
import { FOUR_HOSTS } from "../helpers";

describe("cloud-init user data", () => {
  it("installs each role's packages and mounts /data on app hosts only", () => {
    const [app, db, backup, monitoring] = FOUR_HOSTS.map((h) => parse(renderUserData(h as HostSpec, 2)) as Record<string, unknown>);
    expect(app!.packages).toEqual(packagesFor(["app"]));
    expect(app!.packages).toContain("caddy");
    expect(db!.packages).toContain("postgresql");
    expect(backup!.packages).toEqual(expect.arrayContaining(["rclone", "postgresql-client"]));
    expect(monitoring!.packages).toContain("wireguard");
    expect(app!.mounts).toEqual([["LABEL=shithub-data", "/data", "ext4", "defaults,nofail,discard,x-systemd.device-timeout=10min", "0", "2"]]);
    expect(db!.mounts).toBeUndefined();
  });

  it("leaves swap out when the stack sets 0 GiB", () => {
    expect((parse(renderUserData(FOUR_HOSTS[1] as HostSpec, 0)) as Record<string, unknown>).swap).toBeUndefined();
    expect((parse(renderUserData(FOUR_HOSTS[1] as HostSpec, 4)) as Record<string, unknown>).swap).toEqual({ filename: "/swapfile", size: "4G", maxsize: "4G" });
  });
});

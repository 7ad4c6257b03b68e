import { renderUnits } from "../../components/release/units";

describe("renderUnits", () => {
  it("requires Postgres only where it runs on the same host", () => {
    const local = renderUnits({ dbLocal: true, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" });
    const remote = renderUnits({ dbLocal: false, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" });
    expect(local["shithubd-web.service"]).toContain("Requires=postgresql.service\nAfter=postgresql.service\n");
    expect(remote["shithubd-web.service"]).not.toContain("postgresql");
    expect(remote["shithubd-worker.service"]).toContain("Wants=network-online.target\nAfter=network-online.target shithubd-web.service\n");
  });

  it("migrates from the web unit's ExecStartPre on the migrating host only, with a start timeout that fits", () => {
    const web = (migrate: boolean) => renderUnits({ dbLocal: true, migrate, migrationTimeout: "20min", webAddr: "127.0.0.1:8080" })["shithubd-web.service"];
    expect(web(true)).toContain("ExecStartPre=/usr/local/bin/shithubd migrate up\nTimeoutStartSec=20min\nExecStart=/usr/local/bin/shithubd web --addr 127.0.0.1:8080\n");
    expect(web(false)).not.toContain("migrate");
  });

  it("keeps the settings of the existing units", () => {
    const units = renderUnits({ dbLocal: true, migrate: true, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" });
    for (const line of ["EnvironmentFile=/etc/shithub/web.env", "Environment=GOMEMLIMIT=1200MiB", "MemoryHigh=1600M", "MemoryMax=2000M",
      "OOMScoreAdjust=-500", "LimitNOFILE=65535", "Restart=on-failure", "RestartSec=2", "ReadWritePaths=/data /var/lib/shithub"]) {
      expect(units["shithubd-web.service"].split("\n")).toContain(line);
    }
    expect(units["shithubd-worker.service"].split("\n")).toEqual(expect.arrayContaining(["EnvironmentFile=/etc/shithub/worker.env", "MemoryHigh=768M", "MemoryMax=1024M"]));
    expect(units["shithubd-cron.timer"].split("\n")).toEqual(expect.arrayContaining(["OnCalendar=*-*-* 05:15:00 UTC", "Persistent=true"]));
    expect(units["shithubd-web.service"]).not.toMatch(/^RestrictSUIDSGID/m);
  });

  it("renders byte-identical units for identical options, with no trailing whitespace", () => {
    const a = renderUnits({ dbLocal: false, migrate: false, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" });
    expect(renderUnits({ dbLocal: false, migrate: false, migrationTimeout: "15min", webAddr: "127.0.0.1:8080" })).toEqual(a);
    for (const text of Object.values(a)) expect(text).not.toMatch(/[ \t]$/m);
  });
});

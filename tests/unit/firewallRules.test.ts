import { egressOf, exposureOf, firewallPlans, publicPorts } from "../../components/hosts/firewallRules";
import type { HostSpec } from "../../components/hosts/topology";
import { FOUR_HOSTS, SINGLE_HOST } from "../helpers";

const ADMIN = ["198.51.100.0/24"];
const GIT_SSH = { gitSsh: true };
const ANYWHERE = ["0.0.0.0/0", "::/0"];

describe("firewalls derived from roles", () => {
  it("four droplets: web public on the app host only, Postgres only from the app and backup hosts' private addresses", () => {
    const plans = firewallPlans(FOUR_HOSTS as HostSpec[], ADMIN, GIT_SSH);
    // 22 is public on the app host for git over SSH; sshd itself admits root only from ADMIN.
    expect(publicPorts(plans, "shithub-app")).toEqual(["22/tcp", "443/tcp", "80/tcp"]);
    expect(publicPorts(plans, "shithub-db")).toEqual([]);
    expect(publicPorts(plans, "shithub-backup")).toEqual([]);
    expect(publicPorts(plans, "shithub-monitoring")).toEqual([]);
    // The monitoring host's Prometheus takes the other hosts' pushes, and nobody else's.
    expect(exposureOf(plans, "shithub-monitoring").get("9090/tcp")).toEqual(["private address of shithub-app", "private address of shithub-db", "private address of shithub-backup"]);
    expect(Object.fromEntries(exposureOf(plans, "shithub-db"))).toEqual({
      "22/tcp": ADMIN,
      "5432/tcp": ["private address of shithub-app", "private address of shithub-backup"],
    });
    expect(exposureOf(plans, "shithub-app").get("22/tcp")).toEqual([...ADMIN, ...ANYWHERE]);
    for (const host of FOUR_HOSTS.slice(1)) expect(exposureOf(plans, host.name).get("22/tcp")).toEqual(ADMIN);
  });

  it("one droplet: no Postgres or Prometheus rule at all (they listen on localhost)", () => {
    const plans = firewallPlans(SINGLE_HOST as HostSpec[], ADMIN, GIT_SSH);
    const open = exposureOf(plans, "shithub-staging");
    expect([...open.keys()].sort()).toEqual(["22/tcp", "443/tcp", "80/tcp"]);
    expect(open.get("22/tcp")).toEqual([...ADMIN, ...ANYWHERE]);
  });

  it("without git over SSH (shithubd:gitSsh false), SSH stays with the admin networks everywhere", () => {
    const plans = firewallPlans(FOUR_HOSTS as HostSpec[], ADMIN, { gitSsh: false });
    expect(publicPorts(plans, "shithub-app")).toEqual(["443/tcp", "80/tcp"]);
    for (const host of FOUR_HOSTS) expect(exposureOf(plans, host.name).get("22/tcp")).toEqual(ADMIN);
  });

  it("egress: every host reaches DNS, NTP, HTTP(S) and the VPC; only app hosts (webhooks, mail) reach any port", () => {
    const plans = firewallPlans(FOUR_HOSTS as HostSpec[], ADMIN, GIT_SSH);
    const base = ["53/udp", "53/tcp", "123/udp", "80/tcp", "443/tcp", "all/icmp", "1-65535/tcp", "1-65535/udp"];
    for (const host of ["shithub-db", "shithub-backup", "shithub-monitoring"]) {
      const egress = egressOf(plans, host);
      expect([...egress.keys()]).toEqual(base);
      // Any port only inside the VPC: no SMTP, no reverse shell to the internet.
      expect(egress.get("1-65535/tcp")).toEqual(["vpc"]);
      expect(egress.get("443/tcp")).toEqual(["anywhere"]);
    }
    expect(egressOf(plans, "shithub-app").get("1-65535/tcp")).toEqual(["vpc", "anywhere"]);
    expect(plans.filter((p) => p.outbound.some((r) => r.destination === "anywhere" && r.ports === "1-65535")).map((p) => [p.id, p.hosts])).toEqual([["app", ["shithub-app"]]]);
  });

  it("alert mail: with a smarthost, the monitoring host reaches its port and no other; no other host gains it", () => {
    const plans = firewallPlans(FOUR_HOSTS as HostSpec[], ADMIN, { ...GIT_SSH, alertSmtpPort: 587 });
    const base = ["53/udp", "53/tcp", "123/udp", "80/tcp", "443/tcp", "all/icmp", "1-65535/tcp", "1-65535/udp"];
    expect([...egressOf(plans, "shithub-monitoring")]).toEqual([...base.map((k) => [k, egressOf(plans, "shithub-db").get(k)]), ["587/tcp", ["anywhere"]]]);
    for (const host of ["shithub-db", "shithub-backup"]) expect([...egressOf(plans, host).keys()]).toEqual(base);
    expect(plans.find((p) => p.id === "monitoring")!.outbound).toEqual([{ protocol: "tcp", ports: "587", destination: "anywhere", why: "alert mail to shithubd:alertSmtpSmarthost" }]);
  });

  it("a second app host is allowed to Postgres too", () => {
    const hosts = [...FOUR_HOSTS, { name: "shithub-app-2", size: "s-2vcpu-4gb", roles: ["app"], volume: { name: "d2", sizeGib: 10 } }] as HostSpec[];
    expect(exposureOf(firewallPlans(hosts, ADMIN, GIT_SSH), "shithub-db").get("5432/tcp")).toEqual([
      "private address of shithub-app",
      "private address of shithub-backup",
      "private address of shithub-app-2",
    ]);
  });
});

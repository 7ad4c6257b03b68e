import { stackOf, violations } from "../../policy/invariants";
import type { PolicyResource } from "../../policy/invariants";
import { planOf, ROOT } from "./stackCopy";

/** A stack's resources as the policy pack sees them at preview. */
async function resourcesOf(stack: string): Promise<PolicyResource[]> {
  const { resources } = await planOf(ROOT, stack);
  return resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, protect: r.options?.protect === true }));
}

/** A copy of `resources` with one resource (by name, and type where names repeat) changed, as a broken program would register it. */
function broken(resources: readonly PolicyResource[], name: string, change: (r: PolicyResource) => PolicyResource, type?: string): PolicyResource[] {
  const hit = (r: PolicyResource) => r.name === name && (type === undefined || r.type === type);
  expect(resources.filter(hit)).toHaveLength(1);
  return resources.map((r) => (hit(r) ? change(r) : r));
}
const FIREWALL = "digitalocean:index/firewall:Firewall";

describe("the policy pack's invariants", () => {
  it.each(["staging", "production"])("hold for %s", async (stack) => {
    const resources = await resourcesOf(stack);
    expect(stackOf(resources)).toEqual({ name: stack, production: stack === "production" });
    expect(violations(resources, stackOf(resources))).toEqual([]);
  });

  it("refuse broken copies of production, naming the policy and the resource", async () => {
    const prod = await resourcesOf("production");
    const stack = stackOf(prod);
    const openTo = (port: string) => (r: PolicyResource) => ({ ...r, inputs: { ...r.inputs, inboundRules: [...(r.inputs.inboundRules as unknown[]), { protocol: "tcp", portRange: port, sourceAddresses: ["0.0.0.0/0"] }] } });
    const found = (resources: PolicyResource[]) => violations(resources, stack).map((v) => [v.policy, v.resource, v.message]);
    expect(found(broken(prod, "shithub-production-db", openTo("5432"), FIREWALL))).toEqual([
      ["no-public-postgres", "digitalocean:index/firewall:Firewall shithub-production-db", "opens 5432/tcp (PostgreSQL) to the internet"]]);
    expect(found(broken(prod, "shithub-production-base", openTo("1-65535"), FIREWALL))).toEqual([
      ["no-public-ssh-except-git", "digitalocean:index/firewall:Firewall shithub-production-base", "opens 22/tcp to the internet: only the app firewall may, for git over SSH"],
      ["no-public-postgres", "digitalocean:index/firewall:Firewall shithub-production-base", "opens 5432/tcp (PostgreSQL) to the internet"]]);
    expect(found(broken(prod, "shithub-data", (r) => ({ ...r, protect: false }), "digitalocean:index/volume:Volume"))).toEqual([
      ["stateful-protected-in-production", "digitalocean:index/volume:Volume shithub-data", "holds state (data, backups or what guards them) and is not protected"]]);
    expect(found(broken(prod, "shithub-backups", (r) => ({ ...r, inputs: { ...r.inputs, acl: "public-read" } }), "digitalocean:index/spacesBucket:SpacesBucket"))).toEqual([
      ["buckets-private", "digitalocean:index/spacesBucket:SpacesBucket shithub-backups", "is acl public-read: buckets stay private and are never emptied by a destroy"]]);
    // The internet written as halves, in two rules (security review N10): the union is judged, not the text.
    const halves = (r: PolicyResource) => ({ ...r, inputs: { ...r.inputs, inboundRules: [...(r.inputs.inboundRules as unknown[]),
      { protocol: "tcp", portRange: "5432", sourceAddresses: ["0.0.0.0/1"] }, { protocol: "tcp", portRange: "5000-6000", sourceAddresses: ["128.0.0.0/1"] }] } });
    expect(found(broken(prod, "shithub-production-db", halves, FIREWALL))).toEqual([
      ["no-public-postgres", "digitalocean:index/firewall:Firewall shithub-production-db", "opens 5432/tcp (PostgreSQL) to the internet"]]);
    // The app firewall's public 22 is the git-over-SSH design, not a violation.
    expect(found(broken(prod, "shithub-production-app", openTo("22"), FIREWALL))).toEqual([]);
  });

  it("do not ask staging to protect what it may replace", async () => {
    const staging = await resourcesOf("staging");
    expect(violations(broken(staging, "shithub-staging-data", (r) => ({ ...r, protect: false }), "digitalocean:index/volume:Volume"), stackOf(staging))).toEqual([]);
  });
});

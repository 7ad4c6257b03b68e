import * as pulumi from "@pulumi/pulumi";
import { program } from "../../components/program";
import { markOfflinePlaceholders } from "../../components/config/runtimeConfig";
import type { RecordedResource } from "../../offline/run";
import { rawConfig } from "../helpers";

const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

// `pulumi preview` of a new stack: nothing exists, so every provider-computed output (ids,
// addresses, the runtime bucket's key) is unknown. The program must still register everything.
describe("the program in preview mode, with every computed output unknown", () => {
  it("registers the whole graph, release steps included, without waiting on unknowns", async () => {
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs as Record<string, unknown> });
        return { id: undefined as unknown as string, state: {} };
      },
      call: (args) => args.inputs,
    }, "shithubd", "production", true);
    const raw = rawConfig({ stack: "production", set: { "shithubd:SHITHUB_AUTH__EMAIL_BACKEND": "smtp", "shithubd:SHITHUB_AUTH__SMTP__ADDR": "smtp.example.org:587" } });
    pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
    markOfflinePlaceholders([]);
    expect(pulumi.runtime.isDryRun()).toBe(true);
    program();
    await waitForRPCs();
    const names = resources.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(["shithub-staging-release", "shithub-staging-backup-setup", "shithub-staging", "shithub-production-objects"]));
  }, 30_000);
});

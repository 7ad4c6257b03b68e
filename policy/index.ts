// The shithub-infra policy pack: `pulumi preview --policy-pack policy` (the workflows run it).
// Its rules are policy/invariants.ts, which the mock tier tests against both stacks. They see the
// whole stack: the DigitalOcean project says which stack it is and whether it is production.
import { PolicyPack } from "@pulumi/policy";
import type { StackValidationPolicy } from "@pulumi/policy";
import { POLICIES, stackOf } from "./invariants";

const policies: StackValidationPolicy[] = POLICIES.map((p) => ({
  name: p.name,
  description: p.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const resources = args.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.props as Record<string, unknown>, protect: r.opts.protect, urn: r.urn }));
    const stack = stackOf(resources);
    for (const r of resources) {
      const message = p.check(r, stack);
      if (message !== undefined) reportViolation(`${r.name}: ${message}`, r.urn);
    }
  },
}));

new PolicyPack("shithub-infra", { policies });

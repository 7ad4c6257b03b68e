import * as pulumi from "@pulumi/pulumi";
import type { RawStackConfig } from "./stackConfig";

// Public API has no "was this key set with --secret?"; the SDK's own Config.get uses this
// internal helper to warn on secrets read as plain values (runtime/config.js, 3.248).
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/**
 * Keys whose value is an offline plan's placeholder. Only the offline runner (offline/run.ts)
 * fills it, in its own process; under `pulumi up` it stays empty, so a real value is never
 * mistaken for a placeholder.
 */
const offlinePlaceholders = new Set<string>();

export function markOfflinePlaceholders(keys: Iterable<string>): void {
  offlinePlaceholders.clear();
  for (const key of keys) offlinePlaceholders.add(key);
}

/** The stack's config exactly as the engine handed it to the program. */
export function rawConfigFromRuntime(): RawStackConfig {
  const values = pulumi.runtime.allConfig();
  const keys = Object.keys(values);
  return {
    stack: pulumi.getStack(),
    values,
    secretKeys: new Set(keys.filter((key) => isConfigSecret(key))),
    placeholders: new Set(keys.filter((key) => offlinePlaceholders.has(key))),
  };
}

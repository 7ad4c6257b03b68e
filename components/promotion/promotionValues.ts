// The promotion keys' own checks (projectKeys.ts runs them with every other key's).
import { jsonValueOf } from "../config/problems";

/** A stack name as the CLI and StackReference take it: `stack`, `org/stack` or `org/project/stack`. */
export function stackReferenceProblem(value: string): string | undefined {
  return /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(value)
    ? undefined
    : "must name a stack: organization/shithubd/staging on a self-managed backend (org/project/stack)";
}

/** The override's shape: `{version, by, reason}`, as `pulumi config set --path` writes it. */
export function overrideShapeProblem(text: string): string | undefined {
  const value = jsonValueOf(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "must be an object with version, by and reason";
  const fields = Object.keys(value).sort().join(",");
  if (fields !== "by,reason,version") return `must hold exactly version, by and reason (it holds ${fields || "nothing"})`;
  const { version, by, reason } = value as Record<string, unknown>;
  if (typeof version !== "string" || typeof by !== "string" || typeof reason !== "string") return "must hold version, by and reason as text";
  return undefined;
}

import type { RecordedResource } from "./run";

/** Resources whose inputs differ between two plans (secret values compared too): what an update would change. */
export function changedResources(before: readonly RecordedResource[], after: readonly RecordedResource[]): RecordedResource[] {
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const seen = new Map(before.map((r) => [key(r), JSON.stringify(r.inputs)]));
  return after.filter((r) => seen.get(key(r)) !== JSON.stringify(r.inputs));
}

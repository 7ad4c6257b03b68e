/** One difference shithub-drift found on a host (templates/ops/shithub-drift.sh). */
export interface DriftFinding {
  readonly kind: "changed" | "missing" | "extra";
  readonly path: string;
  /** The step whose record names the file ("-" for an extra file: none does). */
  readonly step: string;
}

export interface HostDrift {
  readonly host: string;
  readonly findings: readonly DriftFinding[];
  /** How many files of how many steps' records were compared; undefined: the check did not finish. */
  readonly checked?: { readonly files: number; readonly steps: number };
}

export function parseDrift(host: string, text: string): HostDrift {
  const findings: DriftFinding[] = [];
  let checked: HostDrift["checked"];
  for (const line of text.split("\n")) {
    const [kind, a, b] = line.split("\t");
    if ((kind === "changed" || kind === "missing" || kind === "extra") && a !== undefined) findings.push({ kind, path: a, step: b ?? "-" });
    else if (kind === "checked" && /^\d+$/.test(a ?? "") && /^\d+$/.test(b ?? "")) checked = { files: Number(a), steps: Number(b) };
  }
  return { host, findings, ...(checked !== undefined ? { checked } : {}) };
}

/** What to do about a difference: the step that would put the file back, or remove what no step owns. */
function advice(f: DriftFinding): string {
  if (f.kind === "extra") return "no step installed it: remove it, or make it the program's";
  return `installed by ${f.step.replace(/^shithub-/, "")}: pulumi up puts it back when that step next runs; keep the edit only through the program`;
}

export function renderDrift(d: HostDrift): string {
  if (d.checked === undefined) return `${d.host}: the check did not finish\n`;
  if (d.checked.steps === 0) return `${d.host}: no step has recorded its files here yet (pulumi up records them)\n`;
  const head = `${d.host}: ${d.findings.length === 0 ? "no drift" : `${d.findings.length} difference${d.findings.length === 1 ? "" : "s"}`} (${d.checked.files} files of ${d.checked.steps} steps compared)`;
  return [head, ...d.findings.map((f) => `  ${f.kind.padEnd(7)} ${f.path}  (${advice(f)})`)].join("\n") + "\n";
}

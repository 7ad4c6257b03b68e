/**
 * The journal as `npm run ops -- logs` prints it: one line per entry, `<UTC time> <host> <unit>:
 * <message>`. shithubd logs through slog, JSON or text; a JSON line becomes `LEVEL msg key=value …`
 * (its own time and level folded in), the rest is printed as it is.
 */
export function formatJournalLine(host: string, line: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return line.trim() === "" ? undefined : `${host}: ${line}`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line.trim() === "" ? undefined : `${host}: ${line}`;
  }
  const micros = typeof entry.__REALTIME_TIMESTAMP === "string" && /^\d+$/.test(entry.__REALTIME_TIMESTAMP) ? Number(entry.__REALTIME_TIMESTAMP) : undefined;
  const when = micros === undefined ? "-" : new Date(Math.floor(micros / 1000)).toISOString().replace(/\.\d{3}Z$/, "Z");
  // systemd's own lines about a unit (Starting…, Started…) come from PID 1, whose unit is init.scope.
  const from = entry._SYSTEMD_UNIT === "init.scope" ? entry.SYSLOG_IDENTIFIER ?? "systemd" : entry._SYSTEMD_UNIT ?? entry.SYSLOG_IDENTIFIER ?? "-";
  const unit = String(from).replace(/\.service$/, "");
  return `${when} ${host} ${unit}: ${readableMessage(messageOf(entry.MESSAGE))}`;
}

/** journalctl's MESSAGE: a string, or bytes (an array of numbers) when it is not valid UTF-8. */
function messageOf(m: unknown): string {
  if (typeof m === "string") return m;
  if (Array.isArray(m) && m.every((b) => typeof b === "number")) return Buffer.from(m as number[]).toString("utf8");
  return "";
}

const scalar = (v: unknown): string => {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  return typeof v === "string" && /[\s"=]/.test(s) ? JSON.stringify(s) : s;
};

/** A slog JSON line as `LEVEL msg key=value …`; anything else unchanged. */
export function readableMessage(message: string): string {
  const trimmed = message.trim();
  if (!trimmed.startsWith("{")) return message;
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    return message;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return message;
  const { time: _time, level, msg, ...rest } = record as Record<string, unknown>;
  if (level === undefined && msg === undefined) return message;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${scalar(v)}`);
  return [String(level ?? "-").toUpperCase(), String(msg ?? ""), ...fields].filter((p) => p !== "").join(" ");
}

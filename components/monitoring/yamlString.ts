/**
 * A YAML double-quoted scalar that every YAML reader reads back as `text`: only printable ASCII
 * is written as itself. JSON's quoting is not enough: it leaves U+0085, U+2028 and U+2029 raw,
 * which YAML 1.1 readers (Prometheus's and Alertmanager's) take for line breaks and fold.
 */
export function yamlString(text: string): string {
  let out = "\"";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\"" || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

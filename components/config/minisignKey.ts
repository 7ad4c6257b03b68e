/**
 * Why `text` is not a minisign public key as `minisign -G` writes it on the second line of its
 * .pub file (and `-P` takes it): base64 of "Ed", an 8-byte key id and a 32-byte Ed25519 key.
 */
export function minisignKeyProblem(text: string): string | undefined {
  const shape = "must be a minisign public key: the second line of minisign.pub (RW and 54 more characters)";
  if (!/^[A-Za-z0-9+/]{56}$/.test(text)) return shape;
  const bytes = Buffer.from(text, "base64");
  return bytes.length === 42 && bytes.subarray(0, 2).toString("latin1") === "Ed" ? undefined : shape;
}

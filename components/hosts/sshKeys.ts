import { createHash, createPublicKey } from "node:crypto";

/** SSH wire format: a uint32 length, then the bytes. */
export function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An SSH mpint from a big-endian unsigned integer (a leading zero byte keeps it positive). */
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const trimmed = b.subarray(i);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function readString(b: Buffer, at: number): { value: Buffer; next: number } | undefined {
  if (at + 4 > b.length) return undefined;
  const len = b.readUInt32BE(at);
  if (at + 4 + len > b.length) return undefined;
  return { value: b.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

const OPENSSH_ARMOUR = /^-----BEGIN OPENSSH PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END OPENSSH PRIVATE KEY-----\s*$/;

/** The public key an OpenSSH private key file carries in the clear (PROTOCOL.key), as authorized_keys writes it. */
function fromOpensshFile(text: string): string | undefined {
  const body = OPENSSH_ARMOUR.exec(text.trim())?.[1];
  if (body === undefined) return undefined;
  const b = Buffer.from(body.replace(/\s/g, ""), "base64");
  const magic = Buffer.from("openssh-key-v1\0");
  if (!b.subarray(0, magic.length).equals(magic)) return undefined;
  let at = magic.length;
  for (let i = 0; i < 3; i++) {
    const s = readString(b, at); // cipher, kdf, kdf options
    // A passphrase-protected key cannot be used by the engine, which has no one to ask.
    if (s === undefined || (i === 0 && s.value.toString() !== "none")) return undefined;
    at = s.next;
  }
  if (at + 4 > b.length || b.readUInt32BE(at) !== 1) return undefined;
  const blob = readString(b, at + 4)?.value;
  const type = blob === undefined ? undefined : readString(blob, 0)?.value.toString();
  return blob !== undefined && type !== undefined && /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(type) ? `${type} ${blob.toString("base64")}` : undefined;
}

/** The public key of a PEM private key (PKCS#8 or PKCS#1): ed25519 and RSA, the types sshd and @pulumi/command share. */
function fromPem(text: string): string | undefined {
  let jwk: { kty?: string; crv?: string; x?: string; n?: string; e?: string };
  try {
    jwk = createPublicKey(text).export({ format: "jwk" }) as typeof jwk;
  } catch {
    return undefined;
  }
  const raw = (s: string | undefined) => Buffer.from(s ?? "", "base64url");
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    return `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(raw(jwk.x))]).toString("base64")}`;
  }
  if (jwk.kty === "RSA") {
    return `ssh-rsa ${Buffer.concat([sshString(Buffer.from("ssh-rsa")), mpint(raw(jwk.e)), mpint(raw(jwk.n))]).toString("base64")}`;
  }
  return undefined;
}

/** The authorized_keys form (`type base64`) of the public half of `privateKey`, or undefined when it is not a key we can read. */
export function publicKeyOf(privateKey: string): string | undefined {
  return fromOpensshFile(privateKey) ?? fromPem(privateKey);
}

const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})( [^\n\r"]*)?$/;

/** Why `line` is not one public key as authorized_keys takes it (`type base64 [comment]`, the blob naming the same type), or undefined. */
export function publicKeyProblem(line: string): string | undefined {
  const m = PUBLIC_KEY.exec(line);
  if (m === null) return "must be one OpenSSH public key as ssh-keygen writes it (ssh-ed25519 AAAA... comment), without options";
  const type = readString(Buffer.from(m[2]!, "base64"), 0)?.value.toString();
  return type === m[1] ? undefined : `is not a ${m[1]} key: its data names ${type === undefined ? "no type" : type}`;
}

/** A public key's fingerprint as `ssh-keygen -l` prints it (`SHA256:` and unpadded base64 of the key's blob). */
export function sshFingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { sshString } from "../components/hosts/sshKeys";

/** An ed25519 key pair in the formats @pulumi/tls's PrivateKey returns: OpenSSH private key, authorized_keys public key. */
export interface OpensshKeyPair {
  readonly privateKeyOpenssh: string;
  readonly publicKeyOpenssh: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const text = (s: string): Buffer => sshString(Buffer.from(s));

/**
 * A real ed25519 key pair derived from `seed` (so a plan is the same every run), encoded as
 * OpenSSH does (PROTOCOL.key: "openssh-key-v1", no cipher): what the mock provider returns for
 * a tls PrivateKey, and what sshd loads when cloud-init writes it on a test droplet.
 */
export function ed25519KeyPair(seed: string, comment = ""): OpensshKeyPair {
  const secret = createHash("sha256").update(seed).digest();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secret]), format: "der", type: "pkcs8" });
  const pub = createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-32);
  const pubBlob = Buffer.concat([text("ssh-ed25519"), sshString(pub)]);
  const check = createHash("sha256").update(`check:${seed}`).digest().subarray(0, 4);
  let priv = Buffer.concat([check, check, text("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([secret, pub])), text(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), text("none"), text("none"), text(""), count, sshString(pubBlob), sshString(priv)]);
  const lines = body.toString("base64").match(/.{1,70}/g)!;
  return {
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKeyOpenssh: `ssh-ed25519 ${pubBlob.toString("base64")}\n`,
  };
}

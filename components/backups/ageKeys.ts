import { createPrivateKey, createPublicKey } from "node:crypto";
import { bech32 } from "bech32";

/** age's X25519 keys are bech32 strings of 32 bytes: recipients under "age", identities under "AGE-SECRET-KEY-". */
const KEY_BYTES = 32;
const LIMIT = 200;

function decode(text: string, hrp: string): Buffer | undefined {
  try {
    const decoded = bech32.decode(text, LIMIT);
    const bytes = Buffer.from(bech32.fromWords(decoded.words));
    return decoded.prefix === hrp.toLowerCase() && bytes.length === KEY_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The recipient (age1...) of an X25519 public key's 32 bytes, as age-keygen prints it. */
export function ageRecipientOf(publicKey: Uint8Array): string {
  return bech32.encode("age", bech32.toWords(publicKey), LIMIT);
}

/** Why age would refuse `text` as a recipient (`age -r`), or undefined. */
export function ageRecipientProblem(text: string): string | undefined {
  if (/^AGE-SECRET-KEY-1/i.test(text.trim())) {
    return "is an age identity, a private key: give its public half (age-keygen -y FILE); the private half stays with the operators, on no host";
  }
  if (decode(text, "age") === undefined) return "must be an age X25519 recipient as age-keygen prints it (age1 and 58 more characters)";
  // bech32 reads an all-uppercase string as the same key, age does not ("unknown recipient type"):
  // every dump would fail, and the same key twice would pass production's two-recipient rule.
  if (text !== text.toLowerCase()) return "must be lowercase, as age-keygen prints it: age refuses a recipient in capitals";
  return undefined;
}

/** The recipient of an age identity (what `age-keygen -y` prints), or undefined when it is not one. */
export function recipientOf(identity: string): string | undefined {
  const line = identity.split("\n").map((l) => l.trim()).find((l) => /^AGE-SECRET-KEY-1/i.test(l));
  const secret = line === undefined ? undefined : decode(line, "AGE-SECRET-KEY-");
  if (secret === undefined) return undefined;
  const key = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: secret.toString("base64url"), x: "" }, format: "jwk" });
  const x = createPublicKey(key).export({ format: "jwk" }).x;
  return x === undefined ? undefined : ageRecipientOf(Buffer.from(x, "base64url"));
}

/** The age identity (AGE-SECRET-KEY-1...) of an X25519 private key's 32 bytes, as age-keygen writes it. */
export function ageIdentityOf(secret: Uint8Array): string {
  if (secret.length !== KEY_BYTES) throw new Error(`an age X25519 key is ${KEY_BYTES} bytes, not ${secret.length}`);
  return bech32.encode("AGE-SECRET-KEY-", bech32.toWords(secret), LIMIT).toUpperCase();
}

/** The drill's key pair from the 32 random bytes the program keeps in state (base64, as RandomBytes gives them). */
export function drillKeyPair(base64: string): { identity: string; recipient: string } {
  const identity = ageIdentityOf(Buffer.from(base64, "base64"));
  return { identity, recipient: recipientOf(identity)! };
}

import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

/** PostgreSQL's iteration count for SCRAM-SHA-256 verifiers (scram_sha_256_iterations' default). */
export const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` with `salt` (RFC 7677, PostgreSQL's
 * `scram-common.c` format): sent as `PASSWORD '<verifier>'`, the server keeps it as is, so the
 * plain password never reaches the server, its log, `pg_stat_activity` or `pg_stat_statements`.
 * Printable ASCII only: SASLprep leaves it unchanged, so the verifier is exactly the server's.
 */
export function scramSha256Verifier(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error("a database password must be printable ASCII (SASLprep would change anything else)");
  if (salt.length < 16) throw new Error(`a SCRAM salt needs at least 16 bytes, not ${salt.length}`);
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

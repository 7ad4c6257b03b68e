import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ageRecipientProblem, drillKeyPair, recipientOf } from "../../components/backups/ageKeys";
import { ageKeyPair } from "../helpers";

// age (Debian's; .ci/run installs it) against the program's reading of age keys.
const dir = mkdtempSync(join(tmpdir(), "shithub-age-"));

describe("age keys, as the age tools read them", () => {
  it("an identity age-keygen makes: its recipient is age-keygen -y's, and the program accepts it", () => {
    const file = join(dir, "key");
    execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
    const recipient = execFileSync("age-keygen", ["-y", file], { encoding: "utf8" }).trim();
    expect(recipientOf(execFileSync("cat", [file], { encoding: "utf8" }))).toBe(recipient);
    expect(ageRecipientProblem(recipient)).toBeUndefined();
  });

  it("the test key pair: age encrypts to its recipient, decrypts with its identity, and refuses another identity", () => {
    const pair = ageKeyPair();
    writeFileSync(join(dir, "identity"), `${pair.identity}\n`);
    const sealed = execFileSync("age", ["-r", pair.recipient], { input: "a dump\n" });
    expect(execFileSync("age", ["-d", "-i", join(dir, "identity")], { input: sealed, encoding: "utf8" })).toBe("a dump\n");
    writeFileSync(join(dir, "other"), `${ageKeyPair().identity}\n`);
    const other = spawnSync("age", ["-d", "-i", join(dir, "other")], { input: sealed, encoding: "utf8" });
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain("no identity matched any of the recipients");
  });

  it("the drill's key pair, made from 32 random bytes as the program keeps them: age seals to its recipient and opens with its identity", () => {
    const pair = drillKeyPair(randomBytes(32).toString("base64"));
    expect(pair.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    writeFileSync(join(dir, "drill"), `${pair.identity}\n`);
    expect(execFileSync("age-keygen", ["-y", join(dir, "drill")], { encoding: "utf8" }).trim()).toBe(pair.recipient);
    const sealed = execFileSync("age", ["-r", pair.recipient], { input: "a canary\n" });
    expect(execFileSync("age", ["-d", "-i", join(dir, "drill")], { input: sealed, encoding: "utf8" })).toBe("a canary\n");
  });

  it("a recipient in capitals: bech32 reads it as the same key, age refuses it, and so does the program", () => {
    const upper = ageKeyPair().recipient.toUpperCase();
    const r = spawnSync("age", ["-r", upper], { input: "x", encoding: "utf8" });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringContaining("unknown recipient type") });
    expect(ageRecipientProblem(upper)).toBe("must be lowercase, as age-keygen prints it: age refuses a recipient in capitals");
  });
});

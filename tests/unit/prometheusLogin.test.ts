import bcrypt from "bcryptjs";
import { prometheusLogin } from "../../components/monitoring/prometheusLogin";
import { ed25519KeyPair } from "../../offline/sshKeyPair";
import { SSH_PRIVATE_KEY } from "../helpers";

describe("the environment's Prometheus login", () => {
  it("is the same for the same deploy key (a preview changes nothing), and its hash verifies only that password", () => {
    const a = prometheusLogin(SSH_PRIVATE_KEY);
    expect(prometheusLogin(SSH_PRIVATE_KEY)).toEqual(a);
    expect(a.user).toBe("shithub");
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.bcrypt).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync(a.password, a.bcrypt)).toBe(true);
    expect(bcrypt.compareSync(a.password.slice(1), a.bcrypt)).toBe(false);
  });

  it("changes with the deploy key, and shows nothing of it", () => {
    const a = prometheusLogin(SSH_PRIVATE_KEY);
    const b = prometheusLogin(ed25519KeyPair("another deploy key").privateKeyOpenssh);
    expect(b.password).not.toBe(a.password);
    expect(b.bcrypt.slice(0, 29)).not.toBe(a.bcrypt.slice(0, 29));
    expect(SSH_PRIVATE_KEY).not.toContain(a.password);
  });
});

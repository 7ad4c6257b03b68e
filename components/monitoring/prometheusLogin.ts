import bcrypt from "bcryptjs";
import { hkdfSync } from "node:crypto";

/** The one login of the environment's Prometheus: the agents push with it, the canary queries with it. */
export interface PrometheusLogin {
  readonly user: string;
  readonly password: string;
  /** The password's bcrypt hash, as Prometheus's web config holds it. */
  readonly bcrypt: string;
}

export const PROMETHEUS_USER = "shithub";
/** On the monitoring host: root's curl config with the login (curl -K), for queries over SSH. */
export const PROMETHEUS_QUERY_CURLRC = "/etc/prometheus/shithub-query.curlrc";
const BCRYPT_COST = 10;

const derive = (secret: string, purpose: string, bytes: number): Buffer =>
  Buffer.from(hkdfSync("sha256", secret, "shithub-infra", `prometheus ${purpose}`, bytes));

/**
 * The login derived from the stack's deploy key (HKDF, one way): no setting to keep, it changes
 * when the deploy key is rotated, and the same key gives the same bytes, so a preview shows no
 * change. The salt is derived too, for the same reason.
 */
export function prometheusLogin(deployKey: string): PrometheusLogin {
  const password = derive(deployKey, "password", 32).toString("base64url");
  const salt = `$2b$${BCRYPT_COST}$${bcrypt.encodeBase64(derive(deployKey, "bcrypt salt", 16), 16)}`;
  return { user: PROMETHEUS_USER, password, bcrypt: bcrypt.hashSync(password, salt) };
}

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { mockResource } from "../../offline/mockState";
import type { Plan } from "./applyPlan";
import { HOST_IP, PROGRESS, SPACES_HOSTS, worldCertificate } from "./machine";

const RGW_SH = join(__dirname, "rgw.sh");
const run = promisify(execFile);

/** What a Spaces key's grant lets it do in a bucket (readwrite: read, write and delete). */
const READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation", "s3:GetBucketVersioning"];
const GRANT_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  read: READ_ACTIONS,
  readwrite: [...READ_ACTIONS, "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
};

const BUCKET = "digitalocean:index/spacesBucket:SpacesBucket";

/** The names public DNS answers for a plan's buckets (virtual-host style, <bucket>.<region>.digitaloceanspaces.com). */
export const bucketHosts = (p: Plan): string[] =>
  p.resources.filter((r) => r.type === BUCKET).map((r) => `${String(r.inputs.name)}.${String(r.inputs.region)}.digitaloceanspaces.com`);

/** A plan's bucket of role `id` (backups, wal, repos, ...). */
export const bucket = (p: Plan, id: string): string => String(p.resources.find((r) => r.type === BUCKET && String(r.inputs.name).endsWith(`-${id}`))!.inputs.name);

/**
 * DigitalOcean Spaces in the test world: Ceph radosgw on this host (tests/host/rgw.sh), answering
 * as https://<region>.digitaloceanspaces.com with a certificate from the world's CA, and read by
 * the test with the account's own full-access key.
 */
export class TestSpaces {
  private readonly dir: string;
  private readonly rcloneConf: string;

  constructor(private readonly work: string) {
    this.dir = join(work, "rgw");
    this.rcloneConf = join(work, "rclone.conf");
    writeFileSync(this.rcloneConf, "[s]\ntype = s3\nprovider = Ceph\nenv_auth = false\naccess_key_id = HOSTTESTACCESS\nsecret_access_key = hosttestsecret\nendpoint = http://127.0.0.1:7480\n");
  }

  /** Starts radosgw, its HTTPS endpoint certified by the world's CA (bootCloud's `alongside`). */
  async up(ca: { cert: string; key: string }): Promise<void> {
    const { cert, key } = worldCertificate(ca, this.work, "spaces", SPACES_HOSTS.flatMap((h) => [h, `*.${h}`]));
    await run("bash", [RGW_SH, "up", this.dir], { env: { ...process.env, RGW_TLS: `${HOST_IP} ${cert} ${key}`, RGW_HOSTNAMES: SPACES_HOSTS.join(" ") }, timeout: 600_000 });
  }

  down(): void {
    spawnSync("bash", [RGW_SH, "down", this.dir], { stdio: PROGRESS });
  }

  /**
   * What DigitalOcean does for the plan's Spaces resources: its versioned buckets (the stack
   * owner's, as the provider's full-access key makes them), each key the provider returned as a
   * radosgw user of its own reaching only its grants, and the program's bucket policies (its
   * delete guards) on top of those grants.
   */
  async provide(p: Plan): Promise<void> {
    const allow = new Map<string, Array<{ principal: string; permission: string }>>();
    for (const r of p.resources.filter((x) => x.type === "digitalocean:index/spacesKey:SpacesKey")) {
      const key = mockResource(r.type, r.name, {}).state as { accessKey: string; secretKey: string };
      await run("bash", [RGW_SH, "user", this.dir, String(r.inputs.name), key.accessKey, key.secretKey]);
      for (const g of r.inputs.grants as Array<{ bucket: string; permission: string }>) {
        allow.set(g.bucket, [...(allow.get(g.bucket) ?? []), { principal: `arn:aws:iam:::user/${String(r.inputs.name)}`, permission: g.permission }]);
      }
    }
    const guards = new Map(p.resources.filter((x) => x.type === "aws:s3/bucketPolicy:BucketPolicy")
      .map((r) => [String(r.inputs.bucket), (JSON.parse(String(r.inputs.policy)) as { Statement: unknown[] }).Statement]));
    for (const r of p.resources.filter((x) => x.type === BUCKET)) {
      const name = String(r.inputs.name);
      this.rclone("mkdir", `s:${name}`);
      this.rclone("backend", "versioning", `s:${name}`, "Enabled");
      // The account's own full-access key reads every object, whichever key wrote it (radosgw would give objects to their writer).
      const owner = { principal: "arn:aws:iam:::user/shithub", permission: "read" };
      const grants = [owner, ...(allow.get(name) ?? [])].map((g, i) => ({
        Sid: `grant${i}`, Effect: "Allow", Principal: { AWS: [g.principal] }, Action: GRANT_ACTIONS[g.permission], Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
      }));
      const file = join(this.work, `policy-${name}.json`);
      writeFileSync(file, JSON.stringify({ Version: "2012-10-17", Statement: [...grants, ...(guards.get(name) ?? [])] }));
      await run("bash", [RGW_SH, "policy", this.dir, name, file]);
    }
  }

  /** rclone as the account's owner, remote `s:`: its stdout, or an error. */
  rclone(...args: string[]): string {
    return execFileSync("rclone", args, { env: this.env(), encoding: "utf8" }).trim();
  }

  /** The same, for a command that may fail: status and output. */
  rcloneResult(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("rclone", args, { env: this.env(), encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, RCLONE_CONFIG: this.rcloneConf };
    delete env.AWS_CA_BUNDLE;
    return env;
  }

  objects(bucketName: string, prefix = ""): string[] {
    return (JSON.parse(this.rclone("lsjson", "--recursive", "--files-only", "--s3-no-check-bucket", `s:${bucketName}/${prefix}`)) as Array<{ Path: string }>).map((o) => o.Path);
  }

  /** The newest object's time under `prefix`, in epoch seconds (as S3 lists it). */
  newestObject(bucketName: string, prefix: string): number {
    return Math.max(...(JSON.parse(this.rclone("lsjson", "--recursive", "--files-only", "--s3-no-check-bucket", `s:${bucketName}/${prefix}`)) as Array<{ ModTime: string }>)
      .map((o) => Math.floor(Date.parse(o.ModTime) / 1000)));
  }
}

/**
 * Adopting the live forge's buckets: a stack whose bucket names are those of buckets that already
 * exist must import them before its first `pulumi up`, or that up fails on the first of them
 * (Spaces answers BucketAlreadyOwnedByYou) with nothing adopted. `pulumi import --file` takes
 * this file: each bucket under the components the program declares it in (created empty by the
 * import, as the engine does since 3.94, so a fresh stack can import), with DigitalOcean's import
 * id `region,name`. Once imported, the next `up` only updates them in place (versioning,
 * lifecycle, delete guards): a bucket is never replaced, and production's are protected.
 */
export interface ComponentRef {
  readonly type: string;
  /** The program's name for it (its URN's last part). */
  readonly name: string;
}

export interface AdoptedBucket {
  /** The resource's type token, e.g. digitalocean:index/spacesBucket:SpacesBucket. */
  readonly type: string;
  /** The program's name for the resource (its URN's last part). */
  readonly name: string;
  readonly region: string;
  /** The bucket's own name in Spaces. */
  readonly bucket: string;
}

/** Pulumi's bulk import file (`pulumi import --file`). */
export interface ImportFile {
  readonly resources: ReadonlyArray<{
    readonly type: string;
    readonly name: string;
    readonly id?: string;
    readonly parent?: string;
    readonly component?: true;
  }>;
}

/** The import file for `buckets`, declared under `ancestors` (outermost first, the stack's root component first). */
export function bucketImportFile(ancestors: readonly ComponentRef[], buckets: readonly AdoptedBucket[]): ImportFile {
  const names = [...ancestors.map((a) => a.name), ...buckets.map((b) => b.name)];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`two resources of the import file are named ${twice}: the file refers to parents by name`);
  const parent = ancestors.at(-1)?.name;
  return {
    resources: [
      ...ancestors.map((a, i) => ({ type: a.type, name: a.name, component: true as const, ...(i > 0 ? { parent: ancestors[i - 1]!.name } : {}) })),
      ...buckets.map((b) => ({ type: b.type, name: b.name, id: `${b.region},${b.bucket}`, ...(parent !== undefined ? { parent } : {}) })),
    ],
  };
}

/** A URN's type (the last of its type chain) and name. */
export function urnParts(urn: string): ComponentRef {
  const m = /^urn:pulumi:[^:]*::[^:]*::(.+?)::(.+)$/.exec(urn);
  if (m === null) throw new Error(`not a URN: ${urn}`);
  return { type: m[1]!.split("$").at(-1)!, name: m[2]! };
}

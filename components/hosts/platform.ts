/**
 * What differs between the droplet images the project supports: the PostgreSQL major version the
 * distribution ships (its cluster lives under /etc/postgresql/<major>/main), and whether the host
 * tier boots it. Everything that depends on the image reads it from here, never from a second
 * hard-coded copy.
 */
export interface Platform {
  /** DigitalOcean image slug. */
  readonly image: string;
  readonly distribution: string;
  readonly postgresMajor: number;
  /** The host tier boots this image (tests/host/cloud.sh): what it ships is what the tests converged. */
  readonly bootedByTests: boolean;
}

/**
 * The default image is the first: Debian 12, the newest Debian DigitalOcean's image list names
 * and the distribution the host tier builds its droplets from (Debian's archive is the one
 * reachable from the test machines). The Ubuntu images stay selectable for stacks that run on them.
 */
export const PLATFORMS: readonly Platform[] = [
  { image: "debian-12-x64", distribution: "Debian 12", postgresMajor: 15, bootedByTests: true },
  { image: "ubuntu-24-04-x64", distribution: "Ubuntu 24.04", postgresMajor: 16, bootedByTests: false },
  { image: "ubuntu-22-04-x64", distribution: "Ubuntu 22.04", postgresMajor: 14, bootedByTests: false },
];

export const DEFAULT_IMAGE = PLATFORMS[0]!.image;

export function platformOf(image: string): Platform | undefined {
  return PLATFORMS.find((p) => p.image === image);
}

/** How the plan and the docs name an image: its distribution, and a warning when no test boots it. */
export function describeImage(image: string): string {
  const platform = platformOf(image);
  if (platform === undefined) return image;
  return `${image} (${platform.distribution}, PostgreSQL ${platform.postgresMajor}${platform.bootedByTests ? "" : ", not booted by the tests"})`;
}

/** The main cluster's config directory. */
export function postgresConfDir(platform: Platform): string {
  return `/etc/postgresql/${platform.postgresMajor}/main`;
}

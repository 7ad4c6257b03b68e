/**
 * What differs between the droplet images the project supports: the PostgreSQL major version the
 * distribution ships (its cluster lives under /etc/postgresql/<major>/main). Everything that
 * depends on the image reads it from here, never from a second hard-coded copy.
 */
export interface Platform {
  /** DigitalOcean image slug. */
  readonly image: string;
  readonly distribution: string;
  readonly postgresMajor: number;
}

export const PLATFORMS: readonly Platform[] = [
  { image: "ubuntu-24-04-x64", distribution: "Ubuntu 24.04", postgresMajor: 16 },
  { image: "ubuntu-22-04-x64", distribution: "Ubuntu 22.04", postgresMajor: 14 },
  // What the host tier boots (Debian's archive is the one reachable from the test machines).
  { image: "debian-12-x64", distribution: "Debian 12", postgresMajor: 15 },
];

export function platformOf(image: string): Platform | undefined {
  return PLATFORMS.find((p) => p.image === image);
}

/** The main cluster's config directory. */
export function postgresConfDir(platform: Platform): string {
  return `/etc/postgresql/${platform.postgresMajor}/main`;
}

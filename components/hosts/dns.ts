/** An A record the forge needs, by full name and (when DNS is managed here) name inside the zone. */
export interface DnsName {
  readonly fqdn: string;
  /** Name relative to the zone (`@` for the apex), or undefined when DNS is managed elsewhere. */
  readonly inZone?: string;
}

/** `fqdn`'s name inside `zone`, which holds it (`@` for the zone's apex). */
export function nameInZone(fqdn: string, zone: string): string {
  return fqdn === zone ? "@" : fqdn.slice(0, -(zone.length + 1));
}

/** The names pointing at the app hosts: the domain and its `www`. */
export function dnsNames(domain: string, zone?: string): DnsName[] {
  return [domain, `www.${domain}`].map((fqdn) => (zone === undefined ? { fqdn } : { fqdn, inZone: nameInZone(fqdn, zone) }));
}

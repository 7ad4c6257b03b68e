/** An A record the forge needs, by full name and (when DNS is managed here) name inside the zone. */
export interface DnsName {
  readonly fqdn: string;
  /** Name relative to the zone (`@` for the apex), or undefined when DNS is managed elsewhere. */
  readonly inZone?: string;
}

/** The names pointing at the app hosts: the domain and its `www`. */
export function dnsNames(domain: string, zone?: string): DnsName[] {
  const relative = (fqdn: string): string | undefined => {
    if (zone === undefined) return undefined;
    return fqdn === zone ? "@" : fqdn.slice(0, -(zone.length + 1));
  };
  return [domain, `www.${domain}`].map((fqdn) => {
    const inZone = relative(fqdn);
    return inZone === undefined ? { fqdn } : { fqdn, inZone };
  });
}

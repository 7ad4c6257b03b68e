/** A public DNS name: two or more labels of letters, digits and inner hyphens, ending in an alphabetic TLD. Case as written. */
const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function isDnsName(text: string): boolean {
  return DNS_NAME.test(text);
}

/** The same, in lower case only: how the stack's own names (domain, zone) are written. */
export function isLowerCaseDnsName(text: string): boolean {
  return text === text.toLowerCase() && DNS_NAME.test(text);
}

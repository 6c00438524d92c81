/**
 * Host names as RFC 1123 (section 2.1) and RFC 952 allow them: dot-separated
 * labels of letters, digits and hyphens, each 1 to 63 characters, neither
 * starting nor ending with a hyphen; 253 characters in all. What the agent
 * sets and what `prepare` accepts, so a context is refused at its source.
 */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isValidHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

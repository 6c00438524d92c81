/**
 * The environment scripts run with: a fixed base (PATH, HOME, LANG), the
 * instance id, and the context's variables that a script may need (an
 * OpenNebula script reads ETH0_IP, HOSTNAME, USERNAME...). Left out: the
 * payloads (the scripts and user data themselves, the keys) and anything
 * that looks like a secret, which a script's log or `ps e` would show; names
 * that are not shell names; values holding NUL (which no environment can
 * carry) or over MAX_VALUE bytes, so that the whole stays far below the
 * kernel's argument limit (E2BIG).
 */

const PAYLOADS = new Set(['START_SCRIPT', 'START_SCRIPT_BASE64', 'USER_DATA', 'USERDATA', 'USER_DATA_ENCODING', 'CLOUD_INIT_USER_DATA', 'CLOUD_INIT_AUTHORIZED_KEYS']);
const SECRET = /PASS|TOKEN|SECRET|PRIVATE|CREDENTIAL|(^|_)KEY$/i;
/** Public by nature, and what OpenNebula scripts read. */
const PUBLIC = new Set(['SSH_PUBLIC_KEY']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_VALUE = 4096;
const MAX_TOTAL = 64 * 1024;
/** Names the agent sets itself; a context cannot override them. */
const FIXED = new Set(['PATH', 'HOME', 'LANG', 'INSTANCE_ID', 'STRATUS_CONTEXT_ROOT', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS']);

export function scriptEnvironment(variables: Readonly<Record<string, string>>, o: { instanceId: string; contextRoot: string }): { env: Record<string, string>; dropped: string[] } {
  const env: Record<string, string> = Object.create(null);
  env['PATH'] = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  env['HOME'] = '/root';
  env['LANG'] = 'C.UTF-8';
  env['INSTANCE_ID'] = o.instanceId.replaceAll('\0', '');
  env['STRATUS_CONTEXT_ROOT'] = o.contextRoot;
  const dropped: string[] = [];
  let total = 0;
  for (const [name, value] of Object.entries(variables)) {
    const keep =
      NAME.test(name) &&
      !FIXED.has(name) &&
      !PAYLOADS.has(name) &&
      (PUBLIC.has(name) || !SECRET.test(name)) &&
      typeof value === 'string' &&
      !value.includes('\0') &&
      Buffer.byteLength(value) <= MAX_VALUE &&
      total + name.length + value.length < MAX_TOTAL;
    if (!keep) {
      // Named (shortened, without its value) so the log says what a script did not get.
      dropped.push(NAME.test(name) ? name : JSON.stringify(name.slice(0, 32)));
      continue;
    }
    env[name] = value;
    total += name.length + value.length + 2;
  }
  return { env, dropped };
}

/**
 * A user name a context may give (OpenNebula's `USERNAME`): what Debian's
 * useradd accepts by default (NAME_REGEX): lower-case letters, digits, `_`
 * and `-`, not starting with a digit or `-`, an optional final `$`, at most
 * 32 characters. Never a path, an option or a field separator of
 * /etc/passwd. What the agent creates and what `prepare` accepts, so a
 * context is refused at its source.
 */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name);
}

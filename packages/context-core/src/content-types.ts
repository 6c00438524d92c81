import { invalidInput } from './errors.js';

/**
 * The part types cloud-init's user-data handlers understand (its
 * `INCLUSION_TYPES_MAP` and handler `list_types()`), by subtype. All are
 * `text/*`.
 */
export const CLOUD_INIT_PART_SUBTYPES: readonly string[] = [
  'x-shellscript',
  'x-shellscript-per-boot',
  'x-shellscript-per-instance',
  'x-shellscript-per-once',
  'cloud-config',
  'cloud-config-archive',
  'cloud-config-jsonp',
  'cloud-boothook',
  'part-handler',
  'x-include-url',
  'x-include-once-url',
  'jinja2',
  'upstart-job',
];

const KNOWN = new Set(CLOUD_INIT_PART_SUBTYPES.map((s) => `text/${s}`));

/** RFC 2045 token characters, for the two halves of a type. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface PartTypeOptions {
  /** Accept a type cloud-init does not know (it will ignore the part). */
  allowUnknown?: boolean;
}

/**
 * Turns what a user wrote (`x-shellscript`, `text/x-shellscript`,
 * `Text/X-Shellscript`) into the full lower-case MIME type. Unknown types
 * are refused unless `allowUnknown` is set; malformed ones always are.
 */
export function normalizePartType(given: string, pair: string, options: PartTypeOptions = {}): string {
  const lower = given.trim().toLowerCase();
  const slash = lower.indexOf('/');
  const full = slash === -1 ? `text/${lower}` : lower;
  const [major, minor, ...rest] = full.split('/');
  if (rest.length > 0 || !major || !minor || !TOKEN.test(major) || !TOKEN.test(minor)) {
    throw invalidInput('bad-type', `"${given}" is not a MIME type, in pair "${pair}"`, { pair });
  }
  if (!KNOWN.has(full) && !options.allowUnknown) {
    throw invalidInput(
      'unknown-type',
      `unknown part type "${given}" in pair "${pair}" (known: ssh, none, ${CLOUD_INIT_PART_SUBTYPES.join(', ')}; force it to use another)`,
      { pair },
    );
  }
  return full;
}

export function isKnownPartType(type: string): boolean {
  return KNOWN.has(type.toLowerCase());
}

import { ContextError, decodeBase64, dedupeKeys, formatPublicKey, parsePublicKeyLine, type Context, type FormatName } from '@stratus-context/core';
import { checkHostname } from './actions/files.js';
import { addCloudConfig, emptyCloudConfig, type CloudConfig, type WriteFile } from './cloud-config.js';
import { checkUserName } from './users.js';

/**
 * What a context asks of the guest, decided before anything is touched: the
 * user and keys, the hostname, files, and the scripts in the order they run.
 */

/** How often a script runs: every boot, once per instance (the default), or once ever. */
export type Frequency = 'always' | 'per-instance' | 'once';

export interface ScriptPlan {
  /**
   * The id of the run-once records: where it came from and its name, as
   * cloud-init keys its semaphores by name (a changed script under the same
   * name in the same instance does not run again).
   */
  id: string;
  /** A safe file name (no `/`, no leading dot). */
  name: string;
  /** Where it came from: the part type, `START_SCRIPT`, `prolog.sh`, `runcmd`... */
  origin: string;
  frequency: Frequency;
  content: Uint8Array;
  args: string[];
}

/** Something of the context that cannot be applied, and why: reported as a failed item, the rest goes on. */
export interface ItemFailure {
  item: string;
  error: string;
}

export interface Plan {
  user: string;
  keys: string[];
  hostname?: string;
  writeFiles: WriteFile[];
  scripts: ScriptPlan[];
  /** What the agent does not apply, named for the report. */
  notApplied: string[];
  /** What the context asks for but the agent refuses, found before anything is changed. */
  refused: ItemFailure[];
}

/**
 * The order scripts run in, by group: boot hooks, the HEPiX prolog, once-only,
 * per-boot and per-instance parts, user scripts (x-shellscript, literal user
 * data, START_SCRIPT), runcmd, the HEPiX epilog. Within a group, the order
 * of the context.
 */
const GROUPS = ['boothook', 'prolog', 'per-once', 'per-boot', 'per-instance', 'user', 'runcmd', 'epilog'] as const;
type Group = (typeof GROUPS)[number];

const BY_TYPE: Record<string, { group: Group; frequency: Frequency }> = {
  'text/x-shellscript': { group: 'user', frequency: 'per-instance' },
  'text/x-shellscript-per-boot': { group: 'per-boot', frequency: 'always' },
  'text/x-shellscript-per-instance': { group: 'per-instance', frequency: 'per-instance' },
  'text/x-shellscript-per-once': { group: 'per-once', frequency: 'once' },
  'text/cloud-boothook': { group: 'boothook', frequency: 'always' },
};

/** A file name that stays inside the scripts folder: the base name, other characters replaced. */
export function safeName(name: string, fallback: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return base === '' ? fallback : base.slice(0, 100);
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** cloud-init's starts-with typing of data that has no type of its own. */
function sniff(content: Uint8Array): string | undefined {
  const head = text(content.subarray(0, 64)).trimStart();
  if (head.startsWith('#!')) return 'text/x-shellscript';
  if (head.startsWith('#cloud-config')) return 'text/cloud-config';
  if (head.startsWith('#cloud-boothook')) return 'text/cloud-boothook';
  return undefined;
}

/** Adds one part's cloud-config to the context's: keys, files and commands append, the last hostname wins. */
function mergeCloudConfig(into: CloudConfig, one: CloudConfig): void {
  into.keys.push(...one.keys);
  into.writeFiles.push(...one.writeFiles);
  into.runcmd.push(...one.runcmd);
  if (one.hostname !== undefined) into.hostname = one.hostname;
  for (const k of one.notApplied) if (!into.notApplied.includes(k)) into.notApplied.push(k);
}

export function planContext(ctx: Context, format: FormatName): Plan {
  const cfg = emptyCloudConfig();
  const scripts: (ScriptPlan & { group: Group })[] = [];
  const notApplied: string[] = [];
  const refused: ItemFailure[] = [];
  const failed = (item: string, e: unknown) => refused.push({ item, error: e instanceof ContextError ? e.message : String((e as Error)?.message ?? e) });
  const taken = new Set<string>();
  const add = (group: Group, frequency: Frequency, name: string, origin: string, content: Uint8Array, args: string[] = []) => {
    let safe = safeName(name, `${group}-${scripts.length + 1}`);
    // Two parts of the same name stay two scripts.
    for (let n = 2; taken.has(safe); n++) safe = `${safeName(name, group)}-${n}`;
    taken.add(safe);
    scripts.push({ group, frequency, name: safe, origin, content, args, id: `${origin}:${safe}` });
  };

  const parts = ctx.userData !== undefined ? [{ type: sniff(ctx.userData) ?? 'text/x-not-multipart', filename: 'user-data', content: ctx.userData }] : ctx.parts;
  parts.forEach((part, i) => {
    let type = part.type;
    if (type === 'text/plain' || type === 'text/x-not-multipart') type = sniff(part.content) ?? type;
    const where = `user data part ${i + 1} (${part.filename || type})`;
    const known = BY_TYPE[type];
    if (type === 'text/cloud-config') {
      // A part that does not parse is refused whole; the other parts and the keys still apply.
      const one = emptyCloudConfig();
      try {
        addCloudConfig(one, text(part.content), where);
        mergeCloudConfig(cfg, one);
      } catch (e) {
        failed(where, e);
      }
    } else if (known !== undefined) {
      let content = part.content;
      // A boot hook's first line is `#cloud-boothook`, not a shebang: it runs with sh.
      if (type === 'text/cloud-boothook' && text(content.subarray(0, 15)) === '#cloud-boothook') content = content.subarray(content.indexOf(10) + 1 || content.length);
      add(known.group, known.frequency, part.filename || `part-${i + 1}`, type, content);
    } else notApplied.push(`${where}: type ${type} is not handled by the agent`);
  });

  const v = ctx.variables;
  try {
    if (v['START_SCRIPT_BASE64'] !== undefined) add('user', 'per-instance', 'start-script', 'START_SCRIPT_BASE64', decodeBase64(v['START_SCRIPT_BASE64'], { key: 'START_SCRIPT_BASE64' }));
    else if (v['START_SCRIPT'] !== undefined) add('user', 'per-instance', 'start-script', 'START_SCRIPT', bytes(v['START_SCRIPT']));
  } catch (e) {
    failed('START_SCRIPT_BASE64', e);
  }
  if (cfg.runcmd.length > 0) add('runcmd', 'per-instance', 'runcmd', 'runcmd', bytes(`#!/bin/sh\n${cfg.runcmd.join('\n')}\n`));
  if (format === 'hepix') {
    for (const [file, group] of [['prolog.sh', 'prolog'], ['epilog.sh', 'epilog']] as const) {
      const f = ctx.files.find((x) => x.name === file);
      if (f !== undefined) add(group, 'always', file, file, f.content, ['start']);
    }
  }
  for (const key of cfg.notApplied) notApplied.push(`cloud-config key ${key}: not applied by the agent`);

  const keys = [...ctx.keys];
  cfg.keys.forEach((k, i) => {
    try {
      keys.push(formatPublicKey(parsePublicKeyLine(k)));
    } catch (e) {
      failed(`cloud-config ssh_authorized_keys entry ${i + 1}`, e);
    }
  });
  scripts.sort((a, b) => GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group));
  let user = v['USERNAME'] !== undefined && v['USERNAME'] !== '' ? v['USERNAME'] : 'root';
  try {
    checkUserName(user);
  } catch (e) {
    failed('USERNAME', e);
    user = 'root';
  }
  const plan: Plan = {
    user,
    keys: dedupeKeys(keys),
    writeFiles: cfg.writeFiles,
    scripts: scripts.map(({ group: _group, ...s }) => s),
    notApplied,
    refused,
  };
  const hostname = ctx.hostname ?? cfg.hostname;
  if (hostname !== undefined) {
    try {
      checkHostname(hostname);
      plan.hostname = hostname;
    } catch (e) {
      failed('hostname', e);
    }
  }
  return plan;
}

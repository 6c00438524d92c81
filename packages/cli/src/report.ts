import { buildUserData, type Context, type UserDataPart } from '@stratus-context/core';

/**
 * What `inspect` shows of a context: a plain object (the `--json` output)
 * and its text rendering. Payloads that are text are shown as text, others
 * as base64.
 */

export interface PayloadReport {
  size: number;
  /** The content, when it is UTF-8 text without control characters. */
  text?: string;
  /** The content in base64, when it is not text. */
  base64?: string;
}

export interface PartReport extends PayloadReport {
  type: string;
  filename: string;
}

export interface ContextReport {
  source: string;
  /** The format's name (`cloud-init`, `opennebula`, ...). */
  format: string;
  /** What people call it. */
  title: string;
  volumeId?: string;
  keys: string[];
  userData: null | ({ kind: 'multipart'; parts: PartReport[] } & PayloadReport) | ({ kind: 'literal' } & PayloadReport);
  variables: Record<string, string>;
  files: { name: string; size: number }[];
  hostname?: string;
  instanceId?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function payload(content: Uint8Array, withBody = true): PayloadReport {
  const out: PayloadReport = { size: content.length };
  if (!withBody) return out;
  try {
    const text = utf8.decode(content);
    // eslint-disable-next-line no-control-regex
    if (!/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return { ...out, text };
  } catch {
    // not UTF-8: fall through to base64
  }
  return { ...out, base64: Buffer.from(content).toString('base64') };
}

function part(p: UserDataPart): PartReport {
  return { type: p.type, filename: p.filename, ...payload(p.content) };
}

export function describeContext(ctx: Context, source: { name: string; format: string; title: string; volumeId?: string }): ContextReport {
  const raw = buildUserData(ctx);
  let userData: ContextReport['userData'] = null;
  if (ctx.userData !== undefined) userData = { kind: 'literal', ...payload(ctx.userData) };
  else if (raw !== undefined) userData = { kind: 'multipart', size: raw.length, parts: ctx.parts.map(part) };
  const report: ContextReport = {
    source: source.name,
    format: source.format,
    title: source.title,
    ...(source.volumeId !== undefined ? { volumeId: source.volumeId } : {}),
    keys: ctx.keys,
    userData,
    variables: ctx.variables,
    files: ctx.files.map((f) => ({ name: f.name, size: f.content.length })),
  };
  if (ctx.hostname !== undefined) report.hostname = ctx.hostname;
  if (ctx.instanceId !== undefined) report.instanceId = ctx.instanceId;
  return report;
}

function indent(text: string, prefix: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

function body(p: PayloadReport, prefix: string): string[] {
  if (p.text !== undefined) return p.text === '' ? [] : [indent(p.text, prefix)];
  return [`${prefix}(binary; --json shows it in base64)`];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderReport(r: ContextReport): string {
  const out: string[] = [`${r.source}: ${r.title}${r.volumeId !== undefined ? ` (volume id ${JSON.stringify(r.volumeId)})` : ''}`];
  if (r.instanceId !== undefined) out.push(`instance id: ${r.instanceId}`);
  if (r.hostname !== undefined) out.push(`hostname: ${r.hostname}`);
  out.push(`keys: ${r.keys.length === 0 ? 'none' : r.keys.length}`);
  for (const k of r.keys) out.push(`  ${k}`);
  const u = r.userData;
  if (u === null) out.push('user data: none');
  else if (u.kind === 'literal') {
    out.push(`user data: literal, ${plural(u.size, 'byte')}`);
    out.push(...body(u, '  | '));
  } else {
    out.push(`user data: multipart, ${plural(u.parts.length, 'part')}, ${plural(u.size, 'byte')}`);
    u.parts.forEach((p, i) => {
      out.push(`  part ${i + 1}: ${p.type} ${p.filename === '' ? '(no file name)' : JSON.stringify(p.filename)}, ${plural(p.size, 'byte')}`);
      out.push(...body(p, '    | '));
    });
  }
  const names = Object.keys(r.variables).sort();
  out.push(`variables: ${names.length === 0 ? 'none' : names.length}`);
  for (const n of names) out.push(`  ${n}=${JSON.stringify(r.variables[n])}`);
  if (r.files.length > 0) {
    out.push(`files: ${r.files.length}`);
    for (const f of r.files) out.push(`  ${f.name}, ${plural(f.size, 'byte')}`);
  }
  return `${out.join('\n')}\n`;
}

import type { ApplyReport } from './apply.js';

/** The text form of an apply report: one line a fact, for the console and the journal. */
export function renderApplyReport(r: ApplyReport): string {
  const out = [`context: ${r.format} from ${r.source}${r.volumeId !== undefined ? ` (volume ${r.volumeId})` : ''}, instance ${r.instanceId}${r.newInstance ? ' (new)' : ''}${r.phase !== 'all' ? `, phase ${r.phase}` : ''}${r.dryRun ? ' [dry run]' : ''}`];
  if (r.user?.created) out.push(`user ${r.user.name}: created`);
  for (const k of r.keys) {
    out.push(`keys for ${k.user} (${k.file}): ${k.added.length} added, ${k.removed.length} removed, ${k.kept} kept${k.changed ? '' : ', unchanged'}`);
  }
  if (r.hostname !== undefined) out.push(`hostname: ${r.hostname.hostname}${r.hostname.changed ? '' : ' (unchanged)'}`);
  for (const f of r.files) out.push(`file ${f.path}: ${f.bytes} bytes, mode ${f.mode}${f.changed ? '' : ' (unchanged)'}`);
  for (const s of r.scripts) {
    const what =
      s.status !== 'ran'
        ? s.status.replaceAll('-', ' ')
        : s.run!.timedOut
          ? `TIMED OUT after ${s.run!.ms} ms`
          : s.run!.exitCode === 0
            ? `ok in ${s.run!.ms} ms`
            : `FAILED (${s.run!.exitCode !== null ? `exit ${s.run!.exitCode}` : s.run!.signal}) in ${s.run!.ms} ms`;
    out.push(`script ${s.name} (${s.origin}, ${s.frequency}): ${what}${s.run !== undefined ? `, log ${s.run.log}` : ''}`);
  }
  for (const n of r.notApplied) out.push(`not applied: ${n}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const f of r.failures) out.push(`FAILED ${f.item}: ${f.error}`);
  return `${out.join('\n')}\n`;
}

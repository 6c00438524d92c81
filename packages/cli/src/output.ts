import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatByName, invalidInput, isoTreeFromPaths, planIso, type ContextFile, type FormatName } from '@stratus-context/core';
import { writeContextDir, writeFileAtomic, writeIsoToFile } from '@stratus-context/core/node';

/** Where a prepared or converted context goes: one of the three. */
export interface OutputOptions {
  iso?: string;
  dir?: string;
  output?: string;
  volumeId?: string;
}

/** The one file a single-file format writes with `-o`. */
const SINGLE_FILE: Partial<Record<FormatName, string>> = { 'cloud-init': 'cloud-init.txt', opennebula: 'context.sh' };

/**
 * Image timestamps: SOURCE_DATE_EPOCH when set (reproducible builds), else
 * the fixed default of the writer, so the same context gives the same image.
 */
function timestamp(): number | undefined {
  const v = process.env['SOURCE_DATE_EPOCH'];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw invalidInput('bad-source-date-epoch', `SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${v}"`);
  return Number(v);
}

/** Writes the files of a context as an ISO image, a directory or a single file, never half-written. */
export async function writeOutput(format: FormatName, files: readonly ContextFile[], out: OutputOptions): Promise<void> {
  const chosen = [out.iso, out.dir, out.output].filter((o) => o !== undefined);
  if (chosen.length > 1) throw invalidInput('bad-output', 'give only one of --iso, --dir and -o');
  if (out.iso !== undefined) {
    const tree = isoTreeFromPaths(files.map((f) => ({ path: f.name, content: f.content })));
    const plan = planIso(tree, { volumeId: out.volumeId ?? formatByName(format).volumeId, timestamp: timestamp() });
    const tmp = join(dirname(out.iso), `.${basename(out.iso)}.${process.pid}.tmp`);
    try {
      await writeIsoToFile(plan, tmp);
      await rename(tmp, out.iso);
    } finally {
      await rm(tmp, { force: true });
    }
    return;
  }
  if (out.dir !== undefined) {
    writeContextDir(out.dir, files);
    return;
  }
  const single = SINGLE_FILE[format];
  if (single === undefined) {
    throw invalidInput('bad-output', `a ${format} context is several files: give --iso FILE or --dir DIR`);
  }
  const extra = files.filter((f) => f.name !== single);
  if (extra.length > 0) {
    throw invalidInput('bad-output', `-o writes only ${single}; the context also has ${extra.map((f) => f.name).join(', ')}: give --iso FILE or --dir DIR`);
  }
  const content = files.find((f) => f.name === single)!.content;
  const path = out.output ?? single;
  if (path === '-') process.stdout.write(content);
  else writeFileAtomic(path, content);
}

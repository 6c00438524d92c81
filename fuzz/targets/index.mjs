/**
 * Every parser of outside input, with its bounds: an input of at most
 * `maxBytes` gives a value or a ContextError within `timeoutMs` (a 1 MiB
 * text is read in well under a second; disks are read whole, every file
 * included) and within the worker's heap (run.mjs, HEAP_MB).
 */
import { MiB } from './common.mjs';
import { iso9660, loader } from './disks.mjs';
import { fat } from './fat.mjs';
import { cloudConfig, configDrive, nocloud } from './documents.mjs';
import { cloudInitTxt, contextSh, encodings, multipart, pairs, publicKeys } from './text.mjs';

const TEXT = { maxBytes: MiB, timeoutMs: 1500 };
/** The `yaml` package takes about 20 us a token and yaml-safe.ts allows 50 000: a second on a quiet machine. */
const YAML = { maxBytes: MiB, timeoutMs: 3000 };
const DISK = { maxBytes: MiB, timeoutMs: 3000 };

export const TARGETS = [
  { ...TEXT, ...pairs },
  { ...TEXT, ...publicKeys },
  { ...TEXT, ...cloudInitTxt },
  { ...TEXT, ...contextSh },
  { ...TEXT, ...multipart },
  { ...TEXT, ...encodings },
  { ...YAML, ...nocloud },
  { ...TEXT, ...configDrive },
  { ...DISK, ...iso9660 },
  { ...DISK, ...fat },
  { ...DISK, ...loader },
  { ...YAML, ...cloudConfig },
];

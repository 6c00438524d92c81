import { lstatSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { ContextError } from '@stratus-context/core';

/**
 * The guest's file system as the agent sees it: `/` in a real guest, a
 * folder in tests (`--root DIR`). Every path the agent reads or writes for
 * the guest goes through `path()`, which refuses to leave the root.
 */
export class GuestRoot {
  readonly dir: string;

  constructor(dir = '/') {
    this.dir = resolve(dir);
  }

  /** True when this is the real root of a running guest (hostname calls, devices, users apply). */
  get isReal(): boolean {
    return this.dir === '/';
  }

  /** The host path of a guest path; `..` cannot climb out of the root. */
  path(guestPath: string): string {
    if (!guestPath.startsWith('/')) throw new ContextError('bad-path', 'invalid-input', `${guestPath} is not an absolute guest path`, { file: guestPath });
    const clean = normalize(guestPath);
    if (clean.split('/').includes('..')) throw new ContextError('bad-path', 'invalid-input', `${guestPath} leaves the guest's root`, { file: guestPath });
    return this.isReal ? clean : join(this.dir, clean);
  }

  /**
   * Refuses a guest path when any existing component below the root is a
   * symbolic link: writing through one could land anywhere (another user's
   * files, the host's in a test). Missing components are fine.
   */
  assertNoSymlinks(guestPath: string): void {
    const parts = normalize(guestPath).split('/').filter((p) => p !== '');
    let host = this.isReal ? '' : this.dir;
    for (const part of parts) {
      host = `${host}${sep}${part}`;
      let isLink = false;
      try {
        isLink = lstatSync(host).isSymbolicLink();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      if (isLink) {
        throw new ContextError('symlink-refused', 'invalid-input', `refusing to write ${guestPath}: ${host.slice(this.isReal ? 0 : this.dir.length) || '/'} is a symbolic link`, { file: guestPath });
      }
    }
  }
}

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BadInputError } from './errors.js';

/** Why a capped read failed; each caller words it for its kind of file. */
export type CappedReadFailure = { readonly step: 'open' | 'read'; readonly cause: unknown } | { readonly step: 'directory' } | { readonly step: 'too-large' };

export class CappedReadError extends Error {
  constructor(readonly failure: CappedReadFailure) {
    super(failure.step);
  }
}

/**
 * A file's bytes, never more than `maxBytes`, so that a wrong argument (a disk image, /dev/zero) is
 * never read whole. The size from stat() is checked first, but devices and pipes report 0, so the
 * read itself stops one byte past the cap, in chunks. Throws CappedReadError.
 */
export function readCappedBytes(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new CappedReadError({ step: 'open', cause });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new CappedReadError({ step: 'directory' });
    if (st.size > maxBytes) throw new CappedReadError({ step: 'too-large' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(4 * 1024 * 1024, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (cause) {
        throw new CappedReadError({ step: 'read', cause });
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new CappedReadError({ step: 'too-large' });
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/**
 * The same, with bad input that names the file and says why in one line; `what` names the kind of
 * file ("a patch file"), `tooLarge` what to do about a large one.
 */
export function readCappedFile(path: string, maxBytes: number, what: string, tooLarge = ''): Buffer {
  try {
    return readCappedBytes(path, maxBytes);
  } catch (e) {
    if (!(e instanceof CappedReadError)) throw e;
    const f = e.failure;
    if (f.step === 'directory') throw new BadInputError(`${path}: a directory, not ${what}`);
    if (f.step === 'too-large') throw new BadInputError(`${path}: larger than the ${maxBytes / 1024 / 1024} MiB limit for ${what} (README "Limits")${tooLarge}`);
    throw new BadInputError(`${path}: cannot read it (${systemReason(f.cause)})`);
  }
}

/** A system error as one short phrase ("no such file", "permission denied"), without a stack. */
export function systemReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'a directory',
    ENOTDIR: 'a component of the path is not a directory',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'file name too long',
    EIO: 'I/O error',
    EROFS: 'a read-only file system',
    ENOSPC: 'no space left on the device',
  };
  if (code && known[code]) return known[code];
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

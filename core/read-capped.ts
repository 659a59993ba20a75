import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BadInputError } from './errors.js';

/**
 * A file's bytes, read with a cap so that a wrong argument (a disk image, /dev/zero) is never read
 * whole: up to one byte past the cap, in chunks, since a device or a pipe has no size to check
 * first. Bad input names the file and says why in one line; `what` names the kind of file
 * ("a patch file"), `tooLarge` what to do about a large one.
 */
export function readCappedFile(path: string, maxBytes: number, what: string, tooLarge = ''): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new BadInputError(`${path}: cannot read it (${systemReason(e)})`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new BadInputError(`${path}: a directory, not ${what}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(4 * 1024 * 1024, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw new BadInputError(`${path}: cannot read it (${systemReason(e)})`);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new BadInputError(`${path}: larger than the ${maxBytes / 1024 / 1024} MiB limit for ${what} (README "Limits")${tooLarge}`);
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
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

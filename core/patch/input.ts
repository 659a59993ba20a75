import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BadInputError } from '../errors.js';

/**
 * A patch file's text, or bad input that says why not, in one line. A kernel series mbox is a few
 * hundred KiB (seed 003, a patch and twelve replies, is 70 KiB); the cap keeps a wrong argument
 * (a disk image, /dev/zero) from being read whole.
 */
export const MAX_PATCH_BYTES = 8 * 1024 * 1024;

export function readPatchText(path: string): { text: string; bytes: number } {
  const buffer = readCapped(path);
  if (buffer.length === 0) throw new BadInputError(`${path}: empty file, not a patch`);
  // A NUL never occurs in a patch or a mail; it does in every binary format.
  if (buffer.subarray(0, 64 * 1024).includes(0)) throw new BadInputError(`${path}: a binary file, not a patch (it contains NUL bytes)`);
  const text = decode(buffer);
  if (text.trim() === '') throw new BadInputError(`${path}: only white space, not a patch`);
  return { text: text.replace(/\r\n/g, '\n'), bytes: buffer.length };
}

function readCapped(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new BadInputError(`${path}: cannot read it (${reason(e)})`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new BadInputError(`${path}: a directory, not a patch file`);
    // Read up to one byte past the cap: a device or pipe has no size to check first.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, MAX_PATCH_BYTES + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw new BadInputError(`${path}: cannot read it (${reason(e)})`);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_PATCH_BYTES) {
        throw new BadInputError(`${path}: larger than the ${MAX_PATCH_BYTES / 1024 / 1024} MiB limit for a patch file (README "Limits")`);
      }
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8, or Latin-1 for old mail that is not valid UTF-8 (every byte is a Latin-1 character). */
function decode(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return buffer.toString('latin1');
  }
}

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const words: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'a directory', ELOOP: 'too many symbolic links' };
  return (code && words[code]) ?? (e instanceof Error ? e.message : String(e));
}

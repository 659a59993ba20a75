import { BadInputError } from '../errors.js';
import { readTextFile } from '../text-file.js';

/**
 * A patch file's text, or bad input that says why not, in one line. A kernel series mbox is a few
 * hundred KiB (seed 003, a patch and twelve replies, is 70 KiB); the cap keeps a wrong argument
 * (a disk image, /dev/zero) from being read whole.
 */
export const MAX_PATCH_BYTES = 8 * 1024 * 1024;

export function readPatchText(path: string): { text: string; bytes: number } {
  const { text, bytes } = readTextFile(path, MAX_PATCH_BYTES, 'a patch');
  if (bytes === 0) throw new BadInputError(`${path}: empty file, not a patch`);
  if (text.trim() === '') throw new BadInputError(`${path}: only white space, not a patch`);
  return { text: text.replace(/\r\n/g, '\n'), bytes };
}

import { BadInputError } from './errors.js';
import { readCappedFile } from './read-capped.js';

/**
 * A text file's content, read with a cap (core/read-capped.ts) and decoded: UTF-16 with its
 * byte-order mark (an editor's "Unicode", PowerShell's `>`: NUL-full, yet text), else UTF-8, else
 * Latin-1 for old mail that is not valid UTF-8. A file with NUL bytes otherwise is binary: bad input
 * naming `kind` ("a patch"), with `hints.binary` after the reason; `hints.tooLarge` follows the
 * message of a file over the cap.
 */
export function readTextFile(path: string, maxBytes: number, kind: string, hints: { binary?: string; tooLarge?: string } = {}): { text: string; bytes: number } {
  const hint = hints.binary ?? '';
  const buffer = readCappedFile(path, maxBytes, `${kind} file`, hints.tooLarge);
  const utf16 = utf16Encoding(buffer);
  if (utf16) {
    const text = decodeUtf16(path, buffer, utf16);
    if (text.slice(0, 32 * 1024).includes('\0')) throw new BadInputError(`${path}: a binary file, not ${kind} (it starts like UTF-16 but contains NUL characters)${hint}`);
    return { text, bytes: buffer.length };
  }
  // A NUL never occurs in text; it does in every binary format.
  if (buffer.subarray(0, 64 * 1024).includes(0)) {
    const guess = unmarkedUtf16(buffer);
    const why = guess ? `it looks like ${guess} without a byte-order mark: convert it, e.g. iconv -f ${guess} -t UTF-8` : 'it contains NUL bytes';
    throw new BadInputError(`${path}: a binary file, not ${kind} (${why})${hint}`);
  }
  return { text: decode(buffer), bytes: buffer.length };
}

type Utf16 = 'utf-16le' | 'utf-16be';

/** The encoding a UTF-16 byte-order mark names, or null. */
function utf16Encoding(buffer: Buffer): Utf16 | null {
  if (buffer.length >= 2 && buffer[0] === 0xff && buffer[1] === 0xfe) return 'utf-16le';
  if (buffer.length >= 2 && buffer[0] === 0xfe && buffer[1] === 0xff) return 'utf-16be';
  return null;
}

/** UTF-16 text after its byte-order mark (which the decoder drops); bad input naming UTF-16 if it does not decode. */
function decodeUtf16(path: string, buffer: Buffer, encoding: Utf16): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(buffer);
  } catch {
    const name = encoding === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE';
    throw new BadInputError(`${path}: starts with a ${name} byte-order mark but is not valid ${name} text (an odd length or a broken surrogate pair)`);
  }
}

/** ASCII text in UTF-16 without a mark: NULs in every other byte of its start, on one side only. */
function unmarkedUtf16(buffer: Buffer): 'UTF-16LE' | 'UTF-16BE' | null {
  const head = buffer.subarray(0, Math.min(buffer.length, 512) & ~1);
  if (head.length < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const pairs = head.length / 2;
  if (odd >= pairs * 0.9 && even === 0) return 'UTF-16LE';
  if (even >= pairs * 0.9 && odd === 0) return 'UTF-16BE';
  return null;
}

/** UTF-8, or Latin-1 for old mail that is not valid UTF-8 (every byte is a Latin-1 character). */
function decode(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return buffer.toString('latin1');
  }
}

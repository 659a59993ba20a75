/**
 * The two transfer encodings a mail's text may be sent in (RFC 2045 §6.7 quoted-printable, §6.8
 * base64), decoded back to the lines they carry. Each decoded line keeps the index of the encoded
 * line it begins on, so that an error in the diff still names a line of the file.
 */

export interface DecodedLines {
  readonly lines: string[];
  /** For each decoded line, the index of the encoded line where it begins. */
  readonly from: number[];
}

/** Why a base64 text cannot be decoded, and the index of the encoded line at fault. */
export interface Undecodable {
  readonly line: number;
  readonly why: string;
  /** It decodes, to bytes that are no text (NUL bytes): a file's, not a damaged mail's. */
  readonly binary?: true;
}

/** Bytes as text: UTF-8 (US-ASCII and no charset named read alike), any other charset as Latin-1, as decodeWords() reads them. */
function charsetText(bytes: Buffer, charset: string | null): string {
  return bytes.toString(charset === null || /^(?:utf-?8|us-ascii)$/i.test(charset) ? 'utf8' : 'latin1');
}

/** Decoded text cut at its line breaks (CR LF, as mail sends them, or LF), each piece starting at `from`. */
function pushLines(out: DecodedLines, text: string, from: number): void {
  for (const line of text.replace(/\r$/, '').split(/\r?\n/)) {
    out.lines.push(line);
    out.from.push(from);
  }
}

/** `=XX` as the byte it names; other text as its UTF-8 bytes; an `=` not followed by two hex digits is kept, as §6.7 (1) advises. */
function quotedPrintableBytes(text: string): Buffer {
  return Buffer.concat(text.split(/(=[0-9A-Fa-f]{2})/).map((piece, k) => (k % 2 === 1 ? Buffer.of(parseInt(piece.slice(1), 16)) : Buffer.from(piece, 'utf8'))));
}

export function decodeQuotedPrintable(lines: readonly string[], charset: string | null): DecodedLines {
  const out: DecodedLines = { lines: [], from: [] };
  let pending: Buffer[] = [];
  let start = -1;
  lines.forEach((raw, i) => {
    if (start < 0) start = i;
    // §6.7 (3): white space at the end of an encoded line was added on the way, not sent: a
    // space the text has there is written `=20`.
    const line = raw.replace(/[ \t]+$/, '');
    // §6.7 (5): an `=` that ends a line is a soft break: the text goes on on the next line.
    const soft = line.endsWith('=');
    pending.push(quotedPrintableBytes(soft ? line.slice(0, -1) : line));
    if (!soft) {
      pushLines(out, charsetText(Buffer.concat(pending), charset), start);
      [pending, start] = [[], -1];
    }
  });
  if (start >= 0) pushLines(out, charsetText(Buffer.concat(pending), charset), start);
  return out;
}

/**
 * Base64 text as its lines, or why not. §6.8 lets a decoder skip characters outside the
 * alphabet; here one means the mail was damaged (or is not base64 at all), and a patch read
 * with bytes missing would be counted wrong, so it is refused.
 */
export function decodeBase64(lines: readonly string[], charset: string | null): DecodedLines | Undecodable {
  const chunks: string[] = [];
  /** The index in the whole base64 text where each encoded line ends. */
  const ends: number[] = [];
  let length = 0;
  let padded = -1;
  for (let i = 0; i < lines.length; i++) {
    const chunk = lines[i].replace(/[ \t\r]+/g, '');
    const bad = /[^A-Za-z0-9+/=]/.exec(chunk);
    if (bad) return { line: i, why: `a character that is not base64 (${JSON.stringify(bad[0])})` };
    if (padded >= 0 && chunk !== '') return { line: i, why: 'text after the padding `=` that ends it' };
    const pad = chunk.indexOf('=');
    if (pad >= 0 && !/^={1,2}$/.test(chunk.slice(pad))) return { line: i, why: 'an `=` inside it (`=` only pads its end)' };
    if (pad >= 0) padded = i;
    chunks.push(chunk);
    length += chunk.length;
    ends.push(length);
  }
  if (length % 4 !== 0) return { line: lines.length - 1, why: `${length} characters, not a multiple of 4: it is cut short` };
  const bytes = Buffer.from(chunks.join(''), 'base64');
  if (bytes.includes(0)) return { line: 0, why: 'binary data in it (NUL bytes), not text', binary: true };
  const out: DecodedLines = { lines: [], from: [] };
  let encodedLine = 0;
  for (let b = 0; b < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, b);
    const end = nl < 0 ? bytes.length : nl;
    // Three bytes are four characters: the line's first byte is in the character group at 4⌊b/3⌋.
    const at = Math.floor(b / 3) * 4;
    while (ends[encodedLine] <= at) encodedLine++;
    // A LF byte never occurs inside a UTF-8 sequence: each line decodes on its own.
    pushLines(out, charsetText(bytes.subarray(b, end), charset), encodedLine);
    b = end + 1;
  }
  return out;
}

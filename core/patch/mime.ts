import { BadInputError } from '../errors.js';
import { readHeaders, type Mail } from './mail.js';
import { unflow } from './format-flowed.js';
import { decodeBase64, decodeQuotedPrintable, type DecodedLines } from './transfer-encoding.js';

/**
 * A mail's text as it was written. A body sent quoted-printable or base64 (RFC 2045), or a text
 * part so sent in a multipart mail (a patch attached, a reply from a web mailer), is decoded in
 * place: read encoded, a soft line break would cut an added line in two and `=3D` would stay in
 * it. The other lines of a multipart mail (boundaries, part headers) stay: they are not diff
 * lines, so they end a diff as a signature does. An encoding that is not read is bad input that
 * names it, not a file "with no diff in it".
 */

const UNENCODED = new Set(['7bit', '8bit', 'binary']);
/** Parts that are not text: their base64 is left as it is (it never reads as a diff or a remark). */
const NOT_TEXT = /^(?:image|audio|video|font|model)\//i;
/** The deepest multipart opened (a signed mail forwarded inside another is three deep). */
const MAX_DEPTH = 8;

interface Head {
  readonly type: string | null;
  readonly encoding: string | null;
  /** The file line of the Content-Transfer-Encoding header (or of the part), for the error that names it. */
  readonly line: number;
}

interface Lines {
  readonly body: readonly string[];
  readonly bodyLines: readonly number[];
}

export function decodeMail(source: string, mail: Mail): Mail {
  const h = mail.headers;
  const line = mail.headerLines['content-transfer-encoding'] ?? mail.headerLines['content-type'] ?? mail.bodyLines[0] ?? 1;
  const head = { type: h['content-type'] ?? null, encoding: h['content-transfer-encoding'] ?? null, line };
  return { ...mail, ...decodePart(source, head, mail, 0) };
}

/** A header's `name=value` parameter (`boundary`, `charset`), quoted or not, or null. */
function parameter(header: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : null;
}

function decodePart(source: string, head: Head, part: Lines, depth: number): Lines {
  if (head.type !== null && /^multipart\//i.test(head.type)) {
    const boundary = parameter(head.type, 'boundary');
    const alternative = /^multipart\/alternative\b/i.test(head.type);
    return boundary === null || boundary === '' || depth >= MAX_DEPTH ? part : decodeMultipart(source, boundary, part, depth + 1, alternative);
  }
  // A `(comment)` after the name is allowed (RFC 2045 §6.1).
  const encoding = (head.encoding ?? '7bit').replace(/\(.*$/, '').trim().toLowerCase();
  if (head.type !== null && NOT_TEXT.test(head.type)) return part;
  return unflowed(head.type, UNENCODED.has(encoding) ? part : decodeTransfer(source, head, encoding, part, depth));
}

/** A text/plain part sent format=flowed (format-flowed.ts) as it was written; any other part as it is. */
function unflowed(type: string | null, part: Lines): Lines {
  const flowed = type !== null && /^text\/plain\b/i.test(type) && parameter(type, 'format')?.toLowerCase() === 'flowed';
  if (!flowed) return part;
  const got = unflow(part.body, parameter(type, 'delsp')?.toLowerCase() === 'yes');
  return { body: got.lines, bodyLines: got.from.map((k) => part.bodyLines[k]) };
}

/** A part's body decoded from its Content-Transfer-Encoding (quoted-printable or base64). */
function decodeTransfer(source: string, head: Head, encoding: string, part: Lines, depth: number): Lines {
  const charset = head.type === null ? null : parameter(head.type, 'charset');
  let decoded: DecodedLines;
  if (encoding === 'quoted-printable') decoded = decodeQuotedPrintable(part.body, charset);
  else if (encoding === 'base64') {
    const got = decodeBase64(part.body, charset);
    // A binary attachment beside the patch or a reply (a config.gz, a screenshot sent as
    // application/octet-stream) is left as it is, as an image is: its base64 never reads as a diff
    // or a remark. Refused, it made the whole thread unreadable (hostile round hE). Text, or a mail
    // that is only that, is still refused: a patch read with bytes missing would be counted wrong.
    if ('why' in got && got.binary === true && depth > 0 && head.type !== null && !/^text\//i.test(head.type)) return part;
    if ('why' in got) throw new BadInputError(`${source}:${part.bodyLines[got.line] ?? head.line}: the base64 text cannot be decoded: ${got.why}; save the patch as plain text`);
    decoded = got;
  } else {
    throw new BadInputError(`${source}:${head.line}: Content-Transfer-Encoding ${encoding} is not read (7bit, 8bit, quoted-printable and base64 are); save the patch as plain text`);
  }
  return { body: decoded.lines, bodyLines: decoded.from.map((k) => part.bodyLines[k]) };
}

/**
 * Each part between the boundary lines (RFC 2046 §5.1.1) decoded as its own headers say; the
 * preamble and epilogue kept. Of a multipart/alternative, the same text in other forms (RFC 2046
 * §5.1.4, simplest first), only the first text/plain part is read: an HTML copy after it counted
 * every hunk twice (hostile finding).
 */
function decodeMultipart(source: string, boundary: string, whole: Lines, depth: number, alternative: boolean): Lines {
  const { body, bodyLines } = whole;
  const delimiter = `--${boundary}`;
  const isDelimiter = (l: string) => l.startsWith(delimiter) && /^(?:--)?[ \t]*$/.test(l.slice(delimiter.length));
  const out = { body: [] as string[], bodyLines: [] as number[] };
  // A loop, not push(...lines): a spread of a large part overflows the stack.
  const add = (lines: Lines, from: number, to: number) => {
    for (let k = from; k < to; k++) {
      out.body.push(lines.body[k]);
      out.bodyLines.push(lines.bodyLines[k]);
    }
  };
  const keep = (from: number, to: number) => add(whole, from, to);
  let plainTaken = false;
  let i = 0;
  while (i < body.length && !isDelimiter(body[i])) i++;
  keep(0, i);
  while (i < body.length) {
    const close = body[i].slice(delimiter.length).startsWith('--');
    if (close) {
      keep(i, body.length);
      break;
    }
    let end = i + 1;
    while (end < body.length && !isDelimiter(body[end])) end++;
    const { headers, headerLines, next } = readHeaders(body, i + 1, end, (k) => bodyLines[k]);
    keep(i, next);
    const line = headerLines['content-transfer-encoding'] ?? bodyLines[i];
    // A part without a Content-Type is text/plain (RFC 2046 §5.1.1).
    const head = { type: headers['content-type'] ?? null, encoding: headers['content-transfer-encoding'] ?? null, line };
    if (alternative && plainTaken) {
      i = end;
      continue;
    }
    if (alternative && (head.type === null || /^text\/plain\b/i.test(head.type))) plainTaken = true;
    const part = decodePart(source, head, { body: body.slice(next, end), bodyLines: bodyLines.slice(next, end) }, depth);
    add(part, 0, part.body.length);
    i = end;
  }
  return out;
}

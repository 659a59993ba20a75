/**
 * Mail framing: a file as one or more mails (git format-patch output, an mbox, one saved mail or a
 * bare diff), each split into its headers and its body lines.
 */

export interface Mail {
  readonly headers: Readonly<Record<string, string>>;
  /** The file line (1-based) of each header, by its name in lower case, for the line an error names. */
  readonly headerLines: Readonly<Record<string, number>>;
  readonly body: readonly string[];
  /** The file line (1-based) of each body line, for the line an error names (a decoded line: where its text begins). */
  readonly bodyLines: readonly number[];
}

/**
 * The envelope line that starts each mail of an mbox: `From <sender> <weekday> …`. git
 * format-patch writes `From <sha> Mon Sep 17 00:00:00 2001`, which has the same shape.
 */
const ENVELOPE = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;
const HEADER = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;

export function splitMails(text: string): Mail[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const starts: number[] = [];
  lines.forEach((l, i) => {
    // After a blank line, as mbox writes it; or right after a mail that did not end with one
    // (`cat a.patch b.patch`), when headers follow, as git mailsplit also splits it.
    if (ENVELOPE.test(l) && (i === 0 || lines[i - 1] === '' || HEADER.test(lines[i + 1] ?? ''))) starts.push(i);
  });
  if (starts.length === 0) return [readMail(lines, 0, lines.length)];
  const mails: Mail[] = [];
  // Text before the first envelope (rare) is read as a mail of its own only if it holds something.
  if (starts[0] > 0 && lines.slice(0, starts[0]).some((l) => l.trim() !== '')) mails.push(readMail(lines, 0, starts[0]));
  starts.forEach((s, k) => mails.push(readMail(lines, s + 1, starts[k + 1] ?? lines.length)));
  return mails;
}

/** Headers (folded lines unfolded, encoded words decoded) up to the first empty line; if the text does not open with headers, none. */
function readMail(lines: readonly string[], start: number, end: number): Mail {
  const opens = HEADER.test(lines[start] ?? '') && !(lines[start] ?? '').startsWith('Index: ');
  const { headers, headerLines, next } = opens ? readHeaders(lines, start, end) : { headers: {}, headerLines: {}, next: start };
  const body = lines.slice(next, end).map(unescapeFrom);
  return { headers, headerLines, body, bodyLines: body.map((_l, k) => next + k + 1) };
}

/**
 * The header block at `lines[start…end)` (a mail's, or a MIME part's): each header by its name
 * in lower case, the file line of each (`lines` index + 1), and the index after the empty line
 * that ends the block (or after the last header line, if the block ends otherwise).
 */
export function readHeaders(
  lines: readonly string[],
  start: number,
  end: number,
  lineOf: (i: number) => number = (i) => i + 1,
): { headers: Record<string, string>; headerLines: Record<string, number>; next: number } {
  const headers: Record<string, string> = {};
  const headerLines: Record<string, number> = {};
  let i = start;
  let last: string | null = null;
  for (; i < end && lines[i] !== ''; i++) {
    const l = lines[i];
    const m = HEADER.exec(l);
    if (/^[ \t]/.test(l) && last !== null) headers[last] += ` ${l.trim()}`;
    else if (m) {
      last = m[1].toLowerCase();
      headers[last] = m[2].trim();
      headerLines[last] = lineOf(i);
    } else break;
  }
  if (i < end && lines[i] === '') i++;
  for (const k of Object.keys(headers)) headers[k] = decodeWords(headers[k]);
  return { headers, headerLines, next: i };
}

/** mboxrd escapes a body line starting `From ` as `>From `. */
function unescapeFrom(line: string): string {
  return /^>+From /.test(line) ? line.slice(1) : line;
}

/** RFC 2047 encoded words (`=?UTF-8?q?…?=`, `=?utf-8?B?…?=`) as text; other charsets are read as Latin-1. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([qQbB])\?([^?]*)\?=/g, (_all, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toLowerCase() === 'b'
          ? Buffer.from(data, 'base64')
          : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

/**
 * The first non-empty `(…)` of a header, trimmed, or null: found with indexOf, as a pattern
 * tried from every `(` scanned to the end each time (100,000 of them: 5 s).
 */
function parenthesised(text: string): string | null {
  for (let open = text.indexOf('('); open >= 0; open = text.indexOf('(', open + 1)) {
    const close = text.indexOf(')', open + 1);
    if (close < 0) return null;
    if (close > open + 1) return text.slice(open + 1, close).trim();
  }
  return null;
}

/** The display name of a From header (`Gleb Natapov <gleb@redhat.com>` → `Gleb Natapov`). */
export function displayName(from: string): string {
  // Only on a header a mail can carry (998 characters, RFC 5322 §2.1.1): the lazy name before the
  // blanks took time quadratic in a long run of them (100,000: 6.6 s).
  const m = from.length <= 998 ? /^"?([^"<]*?)"?\s*<[^>]*>\s*$/.exec(from) : null;
  if (m && m[1].trim() !== '') return m[1].trim();
  const paren = parenthesised(from);
  return paren ?? from.replace(/[<>]/g, '').trim();
}

/** A subject without its reply prefixes (`Re: `, and German and Nordic mailers' `AW: `, `SV: `), however many. */
export function withoutReplyPrefixes(subject: string): string {
  return subject.replace(/^(?:\s*(?:re|aw|sv)\s*:)+/i, '');
}

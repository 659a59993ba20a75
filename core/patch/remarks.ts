/**
 * A reviewer's mail as the inline-reply convention writes it: quoted blocks (`>` lines, one `>`
 * per level) and, between them, the reviewer's own remarks. Each remark answers the quote just
 * above it; a remark above every quote (top-posting) answers what it quotes below.
 */

export interface Quoted {
  /** The line without its `>` markers and the one space after them. */
  readonly text: string;
  /** How many `>` it had. */
  readonly depth: number;
}

export interface Remark {
  /** The reviewer's own lines (blank lines inside kept, quotes and attribution lines left out). */
  readonly text: readonly string[];
  /** The quote just above, and (for a remark above every quote) the one below. */
  readonly before: readonly Quoted[];
  readonly after: readonly Quoted[];
}

export interface ParsedReply {
  readonly remarks: readonly Remark[];
  /** Who the mail says it quotes: `On …, <Name> wrote:`, the first such line outside a quote. */
  readonly replyToName: string | null;
}

const QUOTE = /^((?: ?>)+) ?/;
const WROTE = 'wrote:';
/** Where a quote was cut: `[...]`, `[snip]`, `<snip>`. */
const SNIP = /^\s*(?:\[\s*(?:\.\.\.|…|snip)\s*\]|<\s*snip\s*>)\s*$/i;

/**
 * The name of an attribution line, `On Fri, May 08, 2020 at 01:29:19PM +1000, Gavin Shan wrote:`,
 * `On 2020-05-28 07:14, Marc Zyngier wrote:`, `Gleb Natapov <gleb@redhat.com> wrote:`; null for
 * any other line. Read with string operations: one pattern for it all was cubic in a line of
 * commas and blanks (20 such lines of 998 characters: 12 s).
 */
export function attributionName(line: string): string | null {
  const t = line.trim();
  if (!t.endsWith(WROTE)) return null;
  let head = t.slice(0, -WROTE.length);
  if (!/\s$/.test(head)) return null;
  head = head.trimEnd();
  // A trailing `<address>`.
  const lt = head.endsWith('>') ? head.lastIndexOf('<') : -1;
  const addressed = lt > 0 && /\s/.test(head[lt - 1]);
  if (addressed) head = head.slice(0, lt).trimEnd();
  // A quoted name may hold commas: `"Smith, John"`.
  const open = head.endsWith('"') ? head.lastIndexOf('"', head.length - 2) : -1;
  if (open >= 0) return head.slice(open + 1, -1).trim() || null;
  // `On <date>, ` up to the last comma before the name; Gmail's date ends `2020 at 10:15 AM`.
  const comma = head.startsWith('On ') ? head.lastIndexOf(',') : -1;
  if (comma >= 0 && head.slice(comma + 1).trim() !== '') head = head.slice(comma + 1).trim().replace(GMAIL_TIME, '');
  const name = head.replace(/^"|"$/g, '').trim();
  if (name === '') return null;
  // A bare `X wrote:` is a name only if it reads as one: a sentence of the reviewer's own ("See
  // what I wrote:", before a quote of it) named "See what I" as the author answered.
  return addressed || comma >= 0 || looksLikeName(name) ? name : null;
}

/** One word (a nickname, a login), or words each capitalised, or a particle of a name (van, de, …). */
function looksLikeName(name: string): boolean {
  const words = name.split(/\s+/);
  return words.length === 1 || (words.length <= 5 && words.every((w) => /^[\p{Lu}\d]/u.test(w) || NAME_PARTICLES.has(w)));
}

const NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'da', 'di', 'du', 'la', 'le', 'bin', 'ibn', 'y']);

/** The end of Gmail's attribution date, before the name: `2020 at 10:15 AM `. */
const GMAIL_TIME = /^\d{4} at \d{1,2}:\d{2}(?: ?[AP]M)? /i;

export function unquote(line: string): Quoted | null {
  const m = QUOTE.exec(line);
  if (!m) return null;
  return { text: line.slice(m[0].length), depth: (m[1].match(/>/g) ?? []).length };
}

export function parseReply(body: readonly string[]): ParsedReply {
  type Block = { kind: 'quote'; lines: Quoted[] } | { kind: 'own'; lines: string[] };
  const blocks: Block[] = [];
  let replyToName: string | null = null;
  for (const line of body) {
    const q = unquote(line);
    if (q) {
      const last = blocks.at(-1);
      if (last?.kind === 'quote') last.lines.push(q);
      else blocks.push({ kind: 'quote', lines: [q] });
      continue;
    }
    const attributed = attributionName(line);
    if (attributed !== null) {
      replyToName ??= attributed;
      continue;
    }
    if (SNIP.test(line)) continue;
    const last = blocks.at(-1);
    if (last?.kind === 'own') last.lines.push(line);
    else if (line.trim() !== '') blocks.push({ kind: 'own', lines: [line] });
  }
  const remarks: Remark[] = [];
  blocks.forEach((b, i) => {
    if (b.kind !== 'own') return;
    const text = withoutCourtesy(b.lines);
    if (text.length === 0) return;
    const prev = blocks[i - 1];
    const next = blocks[i + 1];
    remarks.push({ text, before: prev?.kind === 'quote' ? prev.lines : [], after: next?.kind === 'quote' ? next.lines : [] });
  });
  return { remarks, replyToName };
}

const GREETING = /^(?:hi|hello|hey|dear)\b[^.?!]*,?$/i;
const THANKS = /^(?:thanks|thank you|many thanks|cheers|regards|best regards|kind regards)\b[^.?]*[,.!]?$/i;

/**
 * The remark without what says nothing about the patch: a greeting line at its top, and a
 * sign-off at its end (`Thanks,` and the name lines after it, or a lone name of a word or two).
 */
function withoutCourtesy(lines: readonly string[]): string[] {
  let s = 0;
  let e = lines.length;
  const blank = (l: string) => l.trim() === '';
  while (s < e && (blank(lines[s]) || GREETING.test(lines[s].trim()))) s++;
  while (e > s && blank(lines[e - 1])) e--;
  const body = lines.slice(s, e);
  let thanks = body.length - 1;
  while (thanks >= 0 && !THANKS.test(body[thanks].trim())) thanks--;
  if (thanks >= 0 && e - (s + thanks) <= 3) e = s + thanks;
  else if (e > s && /^[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)?\.?$/.test(lines[e - 1].trim()) && lines[e - 1].trim().length <= 20 && e - 1 > s && blank(lines[e - 2])) e--;
  while (e > s && blank(lines[e - 1])) e--;
  return lines.slice(s, e);
}

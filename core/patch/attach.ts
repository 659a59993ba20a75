import { mailTime } from './mail-date.js';
import { withoutReplyPrefixes } from './mail.js';
import { hunksOf, type HunkRef, type PatchMessage, type RawComment } from './model.js';
import { parseReply, type Quoted } from './remarks.js';

/**
 * Each reviewer's remark attached to what it answers, found by matching the lines it quotes to
 * the series: a diff line (`+…`, `-…`, ` …`) to its line in a hunk, prose to the commit message
 * or to an earlier comment's own text. Lines compare with their white space collapsed, since
 * mail re-wraps and web pages re-indent. Quotes are matched in reading order from where the last
 * match was, as a reviewer reads a patch top to bottom, so a line that recurs (`+#endif`) is taken
 * at its next occurrence.
 */

export type Target =
  | { readonly kind: 'hunk'; readonly hunk: HunkRef; readonly line: number | null }
  | { readonly kind: 'hunks'; readonly hunks: readonly HunkRef[] }
  | { readonly kind: 'commit-message'; readonly message: number }
  | { readonly kind: 'comment'; readonly comment: number; readonly author: string }
  | { readonly kind: 'none' };

export interface AttachedRemark {
  readonly text: readonly string[];
  /** How the remark sits: below a quote (inline), above all quotes (top-posted), or with no quote. */
  readonly placement: 'inline' | 'top' | 'unquoted';
  readonly answers: Target;
}

export interface AttachedComment {
  readonly number: number;
  readonly author: string;
  readonly date: string | null;
  readonly source: string;
  /** From its `… wrote:` line: whom it replies to; `comment` is that author's earlier comment when there is exactly one. */
  readonly replyTo: { readonly author: string; readonly comment: number | null } | null;
  readonly remarks: readonly AttachedRemark[];
  /** Every hunk its remarks answer, in series order. */
  readonly hunks: readonly HunkRef[];
}

type Resolved = { kind: 'hunk'; pos: number } | { kind: 'commit-message'; message: number } | { kind: 'comment'; comment: number } | null;

export function normalize(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

export function attachComments(messages: readonly PatchMessage[], comments: readonly RawComment[]): AttachedComment[] {
  const linear = hunksOf(messages).flatMap((h) => h.lines.map((l) => ({ hunk: h, line: l, key: l.kind + normalize(l.text) })));
  const byKey = new Map<string, number[]>();
  linear.forEach((x, i) => {
    if (normalize(x.line.text) === '') return;
    const at = byKey.get(x.key);
    // Pushed, not copied: a generated table repeats one line thousands of times.
    if (at) at.push(i);
    else byKey.set(x.key, [i]);
  });
  const commit = new Map<string, number>();
  for (const m of messages) for (const l of m.commitMessage) if (!commit.has(normalize(l))) commit.set(normalize(l), m.number);
  const ownText = new Map<string, number>();

  const out: AttachedComment[] = [];
  for (const c of chronological(comments)) {
    const reply = parseReply(c.body);
    const answered = answeredMessage(c, messages, comments);
    const inAnswered = (p: number) => linear[p].hunk.message === answered;
    let cursor = 0;
    const resolveLine = (q: Quoted): Resolved => {
      const t = q.text;
      const keys = '+- '.includes(t[0] ?? 'x') && normalize(t.slice(1)) !== '' ? [t[0] + normalize(t.slice(1))] : [];
      // A context line whose leading space the mail ate (`>\tfoo`) is still a context line.
      if (!' +-'.includes(t[0] ?? ' ')) keys.push(` ${normalize(t)}`);
      for (const key of keys) {
        const at = byKey.get(key);
        if (!at) continue;
        // A line two patches share (`+\treturn 0;`) is taken in the patch the mail answers.
        const pos = at.find((p) => p >= cursor && inAnswered(p)) ?? at.find(inAnswered) ?? at.find((p) => p >= cursor) ?? at[0];
        cursor = pos + 1;
        return { kind: 'hunk', pos };
      }
      const p = normalize(t);
      if (p.length < 4) return null;
      const m = commit.get(p);
      if (m !== undefined) return { kind: 'commit-message', message: m };
      const n = ownText.get(p);
      return n === undefined ? null : { kind: 'comment', comment: n };
    };
    const cache = new Map<readonly Quoted[], Resolved[]>();
    const resolve = (block: readonly Quoted[]) => {
      if (!cache.has(block)) cache.set(block, block.map(resolveLine));
      return cache.get(block)!;
    };
    const ref = (pos: number) => refOf(linear[pos].hunk);
    const remarks: AttachedRemark[] = reply.remarks.map((r) => {
      const before = resolve(r.before);
      const after = resolve(r.after);
      if (r.before.length > 0) {
        // The remark is about the last quoted line that says something (not a lone `}` or `*/`).
        const resolved = [...before.entries()].reverse().filter(([, x]) => x !== null);
        const telling = resolved.find(([i, x]) => x?.kind !== 'hunk' || /[A-Za-z_]{3}/.test(r.before[i].text));
        const last = (telling ?? resolved[0])?.[1] ?? null;
        return { text: r.text, placement: 'inline', answers: target(last, linear, comments) };
      }
      if (r.after.length > 0) {
        const hits = after.filter((x): x is Resolved & { kind: 'hunk' } => x?.kind === 'hunk');
        const hunks = unique(hits.map((h) => ref(h.pos)));
        if (hunks.length > 1) return { text: r.text, placement: 'top', answers: { kind: 'hunks', hunks } };
        const first = hits[0] ?? after.find((x) => x !== null) ?? null;
        return { text: r.text, placement: 'top', answers: target(first, linear, comments, true) };
      }
      return { text: r.text, placement: 'unquoted', answers: { kind: 'none' } };
    });
    const earlier = out.filter((o) => reply.replyToName !== null && o.author === reply.replyToName);
    const replyTo = reply.replyToName === null ? null : { author: reply.replyToName, comment: earlier.length === 1 ? earlier[0].number : null };
    const hunks = unique(remarks.flatMap((r) => (r.answers.kind === 'hunk' ? [r.answers.hunk] : r.answers.kind === 'hunks' ? r.answers.hunks : [])));
    out.push({ number: c.number, author: c.author, date: c.date, source: c.source, replyTo, remarks, hunks: sortRefs(hunks, linear) });
    for (const r of reply.remarks) for (const l of r.text) if (normalize(l).length >= 4 && !ownText.has(normalize(l))) ownText.set(normalize(l), c.number);
  }
  return out.sort((a, b) => a.number - b.number);
}

/**
 * The patch a reply answers, by its In-Reply-To (through the replies it answers in turn), or by its
 * Subject (`Re: ` and the patch's), or null. A quoted line that two patches of a series share was
 * taken in the first of them, whichever one the reply was to (hostile round hE).
 */
function answeredMessage(c: RawComment, messages: readonly PatchMessage[], comments: readonly RawComment[]): number | null {
  const seen = new Set<string>();
  for (let id = c.inReplyTo ?? null; id !== null && !seen.has(id); ) {
    seen.add(id);
    const m = messages.find((x) => x.messageId === id);
    if (m !== undefined) return m.number;
    id = comments.find((x) => x.messageId === id)?.inReplyTo ?? null;
  }
  const subject = (s: string | null | undefined) => withoutReplyPrefixes(s ?? '').replace(/\s+/g, ' ').trim();
  const about = subject(c.subject);
  return about === '' ? null : (messages.find((m) => subject(m.subject) === about)?.number ?? null);
}

/**
 * The comments in the order they were written: by their Date when every one is a mail date
 * (an mbox may hold a thread newest first; mailTime() reads one without a zone as UTC), else as
 * given (a review page lists them oldest first, with dates like "May 26, 2020, 12:56 p.m. UTC").
 * A reply is matched against what was written before it, so the order decides whom "Paolo
 * wrote:" means.
 */
function chronological(comments: readonly RawComment[]): readonly RawComment[] {
  const times = comments.map((c) => (c.date === null ? Number.NaN : mailTime(c.date)));
  if (times.some((t) => Number.isNaN(t))) return comments;
  return comments.map((c, i) => ({ c, t: times[i] })).sort((a, b) => a.t - b.t || a.c.number - b.c.number).map((x) => x.c);
}

function target(r: Resolved, linear: readonly { hunk: HunkRef; line: { kind: string; oldLine: number | null; newLine: number | null } }[], comments: readonly RawComment[], wholeHunk = false): Target {
  if (r === null) return { kind: 'none' };
  if (r.kind === 'commit-message') return { kind: 'commit-message', message: r.message };
  if (r.kind === 'comment') return { kind: 'comment', comment: r.comment, author: comments.find((c) => c.number === r.comment)?.author ?? '' };
  const x = linear[r.pos];
  return { kind: 'hunk', hunk: refOf(x.hunk), line: wholeHunk ? null : (x.line.newLine ?? x.line.oldLine) };
}

function refOf(h: HunkRef): HunkRef {
  return { message: h.message, path: h.path, hunk: h.hunk, header: h.header };
}

function unique(refs: readonly HunkRef[]): HunkRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = `${r.message}\0${r.path}\0${r.hunk}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

function sortRefs(refs: readonly HunkRef[], linear: readonly { hunk: HunkRef }[]): HunkRef[] {
  const order = (r: HunkRef) => linear.findIndex((x) => x.hunk.message === r.message && x.hunk.path === r.path && x.hunk.hunk === r.hunk);
  return [...refs].sort((a, b) => order(a) - order(b));
}

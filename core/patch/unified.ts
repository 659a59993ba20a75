import { parsePatch } from 'diff';
import { BadInputError } from '../errors.js';
import type { CombinedSection, PatchFile, PatchHunk, PatchLine } from './model.js';

/**
 * The unified diff in a mail body, parsed with the `diff` package's parsePatch(). A mail carries
 * more than the diff (git's `-- ` signature and version, a list footer, a review page's
 * "[...]"), and parsePatch() takes a trailing `-- ` for a removed line: so the diff is first
 * isolated by counting each hunk's lines as its header promises, and only that text is parsed.
 */

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;
/** A merge's combined diff (`git show` of a merge, `git diff --cc`): one `-a,b` per parent, then the result's `+c,d`. */
const COMBINED_START = /^diff --(?:cc|combined) (.*)$/;
const COMBINED_HUNK = /^(@{3,}) ((?:-\d+(?:,\d+)? )+)\+\d+(?:,(\d+))? \1/;
/** git's extended header lines between `diff --git` and the first hunk. */
const GIT_HEADER = /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files |GIT binary patch)/;

/** Where the diff starts in `lines` (from `from`), or -1. */
export function diffStart(lines: readonly string[], from = 0): number {
  for (let i = from; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('diff --git ') || l.startsWith('Index: ') || COMBINED_START.test(l)) return i;
    if (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) return i;
    if (HUNK_HEADER.test(l)) return i;
  }
  return -1;
}

interface Extracted {
  readonly text: string;
  /** The text git printed after each hunk's second `@@` (the enclosing function), in order. */
  readonly headings: readonly string[];
  /** The combined-diff (merge) sections met, which are not read: their place, to be reported. */
  readonly combined: readonly CombinedSection[];
}

/** The diff lines of `lines[from…]`: file headers and hunks, each hunk exactly as long as its header says. */
function extract(lines: readonly string[], from: number, source: string, lineOf: (i: number) => number): Extracted {
  const out: string[] = [];
  const headings: string[] = [];
  const combined: CombinedSection[] = [];
  let inFile = false;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    const cc = COMBINED_START.exec(line);
    if (cc) {
      const section = skipCombined(lines, i);
      combined.push({ path: cc[1], hunks: section.hunks, line: lineOf(i) });
      i = section.last;
      inFile = false;
      continue;
    }
    const h = HUNK_HEADER.exec(line);
    if (h) {
      headings.push(h[5].trim());
      out.push(line);
      let oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      let newLeft = h[4] === undefined ? 1 : Number(h[4]);
      if (!Number.isSafeInteger(oldLeft) || !Number.isSafeInteger(newLeft)) {
        throw new BadInputError(`${source}:${lineOf(i)}: the hunk "${line.slice(0, 60)}" counts more lines than any file has: a damaged or hand-edited patch`);
      }
      // Read as a double, a larger start would be printed back rounded (…999 as 1e20).
      if (!Number.isSafeInteger(Number(h[1])) || !Number.isSafeInteger(Number(h[3]))) {
        throw new BadInputError(`${source}:${lineOf(i)}: the hunk "${line.slice(0, 60)}" starts past any file's last line (above 2^53 − 1): a damaged or hand-edited patch`);
      }
      // git refuses it too ("corrupt patch"): a hunk changes at least one line.
      if (oldLeft === 0 && newLeft === 0) {
        throw new BadInputError(`${source}:${lineOf(i)}: the hunk "${line.slice(0, 60)}" counts no lines at all: a damaged or hand-edited patch`);
      }
      while (oldLeft > 0 || newLeft > 0) {
        i++;
        if (i >= lines.length) throw shortHunk(source, lineOf(i), line, oldLeft, newLeft);
        // Mail and web pages drop the trailing space of an empty context line: it is still one.
        const l = lines[i] === '' ? ' ' : lines[i];
        const c = l[0];
        if (c === ' ') [oldLeft, newLeft] = [oldLeft - 1, newLeft - 1];
        else if (c === '-') oldLeft--;
        else if (c === '+') newLeft--;
        else if (c !== '\\') throw shortHunk(source, lineOf(i), line, oldLeft, newLeft);
        if (oldLeft < 0 || newLeft < 0) throw longHunk(source, lineOf(i), line, oldLeft < 0 ? 'old' : 'new', h);
        out.push(l);
      }
      // "\ No newline at end of file" after a hunk's last line.
      while ((lines[i + 1] ?? '').startsWith('\\')) out.push(lines[++i]);
      inFile = true;
      continue;
    }
    // In a file's diff a line of `@@` can only be a hunk header (`@@-1`, `@@<tab>` included): one
    // that does not read would end the diff there, or drop its hunk, and the patch would be read
    // short of it, or taken for a file of no hunk (a cover letter).
    if (inFile && line.startsWith('@@')) {
      throw new BadInputError(`${source}:${lineOf(i)}: malformed hunk header "${line.slice(0, 60)}": a hunk starts "@@ -OLD,COUNT +NEW,COUNT @@", in numbers`);
    }
    if (line.startsWith('diff --git ') || line.startsWith('Index: ')) {
      out.push(line);
      inFile = true;
    } else if (line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      out.push(line, lines[++i]);
      inFile = true;
    } else if (inFile && (GIT_HEADER.test(line) || /^={10,}$/.test(line))) {
      out.push(line);
    } else {
      // Anything else ends the diff of this file: a signature, a footer, the next mail's text.
      inFile = false;
    }
  }
  return { text: out.join('\n') + '\n', headings, combined };
}

/**
 * The extent of a combined-diff section that starts at `lines[start]`: its header lines, then
 * each `@@@` hunk counted as its header says (a column per parent: a parent's lines are those
 * without `+` in its column, the result's those without any `-`). Ends early at a line that is
 * not one of them. Returns the index of its last line and its number of hunks.
 */
function skipCombined(lines: readonly string[], start: number): { last: number; hunks: number } {
  let i = start + 1;
  let hunks = 0;
  while (i < lines.length) {
    const line = lines[i];
    const h = COMBINED_HUNK.exec(line);
    if (!h) {
      if (!(GIT_HEADER.test(line) || line.startsWith('--- ') || line.startsWith('+++ ') || line.startsWith('mode '))) break;
      i++;
      continue;
    }
    hunks++;
    const parents = h[1].length - 1;
    const left = [...h[2].trim().split(' ').map((r) => (r.includes(',') ? Number(r.split(',')[1]) : 1)), h[3] === undefined ? 1 : Number(h[3])];
    i++;
    while (i < lines.length && left.some((n) => n > 0)) {
      const cols = (lines[i] === '' ? ' '.repeat(parents) : lines[i]).slice(0, parents);
      if (cols.length < parents || /[^ +-]/.test(cols)) break;
      for (let p = 0; p < parents; p++) if (cols[p] !== '+') left[p]--;
      if (!cols.includes('-')) left[parents]--;
      i++;
    }
  }
  return { last: i - 1, hunks };
}

function shortHunk(source: string, lineNo: number, header: string, oldLeft: number, newLeft: number): BadInputError {
  return new BadInputError(
    `${source}:${lineNo}: the hunk "${header.slice(0, 60)}" does not have the lines its header counts (${oldLeft} old and ${newLeft} new still expected): a damaged or hand-edited patch`,
  );
}

/** A hunk with one more old (or new) line than its header counts, found at that line while the other side still expects some. */
function longHunk(source: string, lineNo: number, header: string, side: 'old' | 'new', h: RegExpExecArray): BadInputError {
  const counts = `${h[2] ?? 1} old and ${h[4] ?? 1} new`;
  return new BadInputError(
    `${source}:${lineNo}: the hunk "${header.slice(0, 60)}" has more ${side} lines than its header counts (${counts}): a damaged or hand-edited patch`,
  );
}

/**
 * The files and hunks of the diff in `lines[from…]`, and the combined-diff (merge) sections that
 * are not read. `message` numbers the hunks; `lineOf(i)` is the input file's line (1-based) of
 * `lines[i]`, for the line an error names.
 */
export function readDiff(lines: readonly string[], from: number, message: number, source: string, lineOf: (i: number) => number): { files: PatchFile[]; combined: readonly CombinedSection[] } {
  const { text, headings, combined } = extract(lines, from, source, lineOf);
  let parsed: ReturnType<typeof parsePatch>;
  try {
    parsed = parsePatch(text);
  } catch (e) {
    throw new BadInputError(`${source}: not a diff the \`diff\` package can read (${e instanceof Error ? e.message : String(e)})`);
  }
  let k = 0;
  const files: PatchFile[] = [];
  for (const p of parsed) {
    const [oldName, newName] = stripPrefixes(p.oldFileName, p.newFileName);
    const status = fileStatus(p, oldName, newName);
    const path = newName ?? oldName ?? '(unnamed)';
    const hunks: PatchHunk[] = p.hunks.map((h, n) => {
      const heading = headings[k++] ?? '';
      return {
        message,
        path,
        hunk: n + 1,
        header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${heading === '' ? '' : ` ${heading}`}`,
        oldStart: h.oldStart,
        oldLines: h.oldLines,
        newStart: h.newStart,
        newLines: h.newLines,
        added: h.lines.filter((l) => l[0] === '+').length,
        removed: h.lines.filter((l) => l[0] === '-').length,
        lines: numbered(h.lines, h.oldStart, h.newStart),
      };
    });
    // A binary change or a mode change has no hunk: it stays in the footprint (+0 −0 in 0 hunks), counted, not dropped.
    files.push({
      path,
      oldPath: status === 'renamed' || status === 'copied' ? oldName : null,
      status,
      added: hunks.reduce((s, h) => s + h.added, 0),
      removed: hunks.reduce((s, h) => s + h.removed, 0),
      hunks,
    });
  }
  return { files, combined };
}

/**
 * What the diff does to a file. git says it in its extended headers (`new file mode`, `deleted
 * file mode`, `copy from`/`copy to`, `rename from`/`rename to`), which the `diff` package reads
 * into isCreate, isDelete, isCopy and isRename: a new empty file, a binary file added or removed,
 * or a file copied has no `/dev/null` side to tell it by, and a copy's two names are no rename
 * (the old file stays). Without them (a plain `diff -u`), `/dev/null` and the two names tell.
 */
function fileStatus(p: ReturnType<typeof parsePatch>[number], oldName: string | null, newName: string | null): PatchFile['status'] {
  if (p.isCreate || oldName === null || absent(p.oldHeader, p.hunks, 'old')) return 'added';
  if (p.isDelete || newName === null || absent(p.newHeader, p.hunks, 'new')) return 'deleted';
  if (p.isCopy) return 'copied';
  return oldName !== newName ? 'renamed' : 'modified';
}

/**
 * GNU `diff -N` (`diff -ruN a b`) writes a file that one side lacks as empty, stamped with the Unix
 * epoch in the local zone (`1970-01-01 00:00:00.000000000 +0000`, `1969-12-31 19:00:00 -0500`), and
 * its hunks have no line of that side: it was added or deleted, not modified (hostile round hE).
 * An empty file that git shows gaining lines has no such stamp.
 */
function absent(stamp: string | undefined, hunks: readonly { oldLines: number; newLines: number }[], side: 'old' | 'new'): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? ([+-])(\d\d)(\d\d)$/.exec(stamp?.trim() ?? '');
  if (m === null || hunks.length === 0) return false;
  const [, y, mo, d, h, mi, sec, sign, zh, zm] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) - (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000;
  // The `diff` package reads `-0,0` as start 1 with no lines: the count tells.
  return utc === 0 && hunks.every((k) => (side === 'old' ? k.oldLines : k.newLines) === 0);
}

function numbered(lines: readonly string[], oldStart: number, newStart: number): PatchLine[] {
  let [o, n] = [oldStart, newStart];
  const out: PatchLine[] = [];
  for (const l of lines) {
    const kind = l[0];
    if (kind === ' ') out.push({ kind, text: l.slice(1), oldLine: o++, newLine: n++ });
    else if (kind === '-') out.push({ kind, text: l.slice(1), oldLine: o++, newLine: null });
    else if (kind === '+') out.push({ kind, text: l.slice(1), oldLine: null, newLine: n++ });
  }
  return out;
}

/**
 * The prefixes git puts before the old and the new path: `a/` and `b/`, or with diff.mnemonicPrefix
 * (git-config(1)) what is compared: `i/` index, `w/` work tree, `c/` commit, `o/` object, `1/` and
 * `2/` for --no-index. Left on, `git diff`'s `i/arch/x86/kvm/x86.c` was "other", not the host, its
 * lines not read for mechanisms, and the file a rename from `i/…` to `w/…` (hostile round hE).
 */
const PREFIX_PAIRS: readonly (readonly [string, string])[] = [
  ['a/', 'b/'],
  ['i/', 'w/'],
  ['c/', 'w/'],
  ['c/', 'i/'],
  ['o/', 'w/'],
  ['1/', '2/'],
];

/** git's prefixes off (PREFIX_PAIRS), `/dev/null` as null (the side of an added or deleted file). */
function stripPrefixes(oldName: string | undefined, newName: string | undefined): [string | null, string | null] {
  const clean = (s: string | undefined) => (s === undefined || s === '/dev/null' ? null : s.replace(/\t.*$/, ''));
  const [o, n] = [clean(oldName), clean(newName)];
  const pair = PREFIX_PAIRS.find(([a, b]) => (o === null || o.startsWith(a)) && (n === null || n.startsWith(b)));
  return pair === undefined || (o === null && n === null) ? [o, n] : [o?.slice(2) ?? null, n?.slice(2) ?? null];
}

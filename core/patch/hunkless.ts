import type { Diffstat } from './model.js';
import { hasReviewSections } from './review-page.js';

/**
 * What a file without a single hunk is, in words a user can act on: a series' cover letter
 * (seed 002: the diffstat of the whole series but no diff), notes (seed 004), or a diff with
 * file headers only.
 */

/**
 * The counts start where a run of digits starts and are at most 9 digits: a number matched from
 * every digit of a long run took time quadratic in it (200,000 digits: 80 s).
 */
const DIFFSTAT = /(?<!\d)(\d{1,9}) files? changed(?:, (\d{1,9}) insertions?\(\+\))?(?:, (\d{1,9}) deletions?\(-\))?/;
/**
 * git shortlog's author line in a cover letter, `Gleb Natapov (12):`: its count, then the name
 * just before it, capitalised words (at most six, looked for in the 200 characters before). One
 * pattern for both backtracked over every word of a long line of capitalised ones (200,000
 * characters: 87 s); a cover letter may also come as one long line (seed 002).
 */
const SHORTLOG_COUNT = / \((\d{1,6})\):/g;
const SHORTLOG_NAME = /(?:^|\s)([A-Z][\w.'-]*(?: [A-Z][\w.'-]*){1,5})$/;

export function findDiffstat(text: string): Diffstat | null {
  const m = DIFFSTAT.exec(text);
  return m ? { files: Number(m[1]), insertions: Number(m[2] ?? 0), deletions: Number(m[3] ?? 0) } : null;
}

function findShortlog(text: string): { name: string; count: string } | null {
  for (const m of text.matchAll(SHORTLOG_COUNT)) {
    const name = SHORTLOG_NAME.exec(text.slice(Math.max(0, m.index - 200), m.index));
    if (name !== null) return { name: name[1], count: m[1] };
  }
  return null;
}

export function diffstatText(d: Diffstat): string {
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${s(d.files, 'file')} changed, ${s(d.insertions, 'insertion')}(+), ${s(d.deletions, 'deletion')}(-)`;
}

/** One clause that says what the text is, for `<file>: <clause>`. */
export function describeHunkless(text: string): string {
  const lines = text.split('\n');
  // A review page saved without its "Patch" section: its commit message carries a diffstat too.
  if (hasReviewSections(lines)) return 'a review page without its patch (no "Patch" section with the diff): save the whole page';
  if (lines.some((l) => l.startsWith('diff --cc ') || l.startsWith('diff --combined '))) {
    return 'only merge sections (diff --cc), which apf-lab patch does not read: give the merge as a two-way diff (git diff <merge>^1 <merge>)';
  }
  const stat = findDiffstat(text);
  if (stat) {
    const short = findShortlog(text);
    const series = short ? ` for ${short.count} patches by ${short.name}` : '';
    return `a series cover letter${series}: it carries only a diffstat (${diffstatText(stat)}), no hunks; give the patches of the series themselves`;
  }
  if (lines.some((l, i) => l.startsWith('diff --git ') || (l.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')))) {
    return 'file headers only (renames, mode changes or binary files), no hunk to read';
  }
  const markdown = lines.some((l) => /^#{1,6} \S/.test(l) || l.startsWith('```'));
  return `${markdown ? 'notes (Markdown text)' : 'text'} with no diff in it (no \`diff --git\`, \`---\`/\`+++\` or \`@@\` lines); apf-lab patch reads a patch, a series, an mbox or a review page`;
}

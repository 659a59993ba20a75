/**
 * A patch's review page as patchwork shows it (seed 003, saved as text): the subject on the
 * first line, a "Message ID" line, then three sections, each a line of its own:
 *
 *   Commit Message   the author and date, then the commit message (with git's diffstat)
 *   Comments         each reply headed `<Name> <Month> <day>, <year>, <time> | #<n>`
 *   Patch            the diff
 */

export interface ReviewPage {
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly author: string | null;
  readonly date: string | null;
  /** The commit message lines, and where they start in the file (0-based). */
  readonly commitMessage: readonly string[];
  readonly comments: readonly { number: number; author: string; date: string; body: readonly string[] }[];
  /** The lines of the Patch section, and where they start in the file (0-based). */
  readonly patch: readonly string[];
  readonly patchLine: number;
}

/** `Name Month day, year, time` (Django's date format on patchwork: "May 8, 2020, 3:29 a.m. UTC", "June 1, 2020, noon UTC"). */
const BYLINE = /^(\S.*?)\s+((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}\b.*?)$/;
const COMMENT_HEAD = /^(.*?)\s+\|\s+#(\d+)\s*$/;
/**
 * The longest line read as a byline or a comment's head (a name, a date and a number): both
 * patterns take time quadratic in a long line of blanks (200,000: 25 s), and no head is that long.
 */
const HEAD_LINE_MAX = 300;

/** BYLINE or COMMENT_HEAD on a line short enough to be one. */
function headMatch(re: RegExp, line: string): RegExpExecArray | null {
  return line.length <= HEAD_LINE_MAX ? re.exec(line) : null;
}

/** Whether the text is such a page: the three section lines in order, and a diff after the last. */
export function isReviewPage(lines: readonly string[]): boolean {
  const c = lines.indexOf('Commit Message');
  const p = lines.lastIndexOf('Patch');
  return c >= 0 && p > c && lines.slice(p + 1).some((l) => l.startsWith('diff --git ') || l.startsWith('--- '));
}

/** A page with the review sections, whether or not its "Patch" section (the diff) was saved. */
export function hasReviewSections(lines: readonly string[]): boolean {
  const c = lines.indexOf('Commit Message');
  return c >= 0 && (lines.indexOf('Comments', c) > c || lines.some((l) => headMatch(COMMENT_HEAD, l) !== null));
}

export function readReviewPage(lines: readonly string[]): ReviewPage {
  const c = lines.indexOf('Commit Message');
  const p = lines.lastIndexOf('Patch');
  const k = lines.indexOf('Comments', c);
  const commentsAt = k > c && k < p ? k : -1;
  const head = lines.slice(0, c);
  const subject = head.find((l) => l.trim() !== '')?.trim() ?? null;
  const idLine = head.map((l) => /^Message ID\s+(\S+)/.exec(l)).find((m) => m !== null);
  const commitEnd = commentsAt >= 0 ? commentsAt : p;
  let i = c + 1;
  while (i < commitEnd && lines[i].trim() === '') i++;
  const byline = headMatch(BYLINE, lines[i] ?? '');
  if (byline) i++;
  return {
    subject,
    messageId: idLine ? idLine[1] : null,
    author: byline ? byline[1] : null,
    date: byline ? byline[2] : null,
    commitMessage: trimBlank(lines.slice(i, commitEnd)),
    comments: commentsAt >= 0 ? readComments(lines.slice(commentsAt + 1, p)) : [],
    patch: lines.slice(p + 1),
    patchLine: p + 1,
  };
}

function readComments(lines: readonly string[]): ReviewPage['comments'] {
  const out: { number: number; author: string; date: string; body: string[] }[] = [];
  for (const line of lines) {
    const head = headMatch(COMMENT_HEAD, line);
    const byline = head ? headMatch(BYLINE, head[1]) : null;
    if (head && byline) out.push({ number: Number(head[2]), author: byline[1], date: byline[2], body: [] });
    else if (out.length > 0) out.at(-1)!.body.push(line);
  }
  return out.map((x) => ({ ...x, body: trimBlank(x.body) }));
}

export function trimBlank(lines: readonly string[]): string[] {
  let [s, e] = [0, lines.length];
  while (s < e && lines[s].trim() === '') s++;
  while (e > s && lines[e - 1].trim() === '') e--;
  return lines.slice(s, e);
}

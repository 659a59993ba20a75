/**
 * Markdown passes HTML through, and a scenario's name or description, a variant file's title or
 * finding, are the user's text: outside code, `<` that would open a tag (`<b>`, `</title>`,
 * `<script>`, `<!--`) or an autolink is written `&lt;`, which Markdown shows as the character. The
 * templates themselves emit no HTML. Fenced blocks (the Mermaid diagrams) and code spans are left
 * as they are.
 *
 * What is code follows CommonMark's rules, not a count of backticks: a run of N backticks opens a
 * span that only a run of exactly N closes, a run that nothing closes is literal text, and `\``
 * outside code is a literal backtick. Splitting on backticks and counting the pieces let an odd
 * backtick in a finding's text put the `<img … onerror=…>` after it "in code", and so in the page.
 *
 * A span may run on over lines and stops at a table's cell boundary. This reads each cell of each
 * line on its own (every `|`, escaped or not), so that it never takes for code what a renderer
 * splits apart; once a run is left open in a block, a renderer could close it further on, so
 * nothing later in that block counts as code. Wrong either way only escapes a `<` in code (shown as
 * `&lt;`), never lets a tag through.
 */
export function inertHtml(markdown: string): string {
  let fence: Fence | null = null;
  let doubt = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (fence) {
        if (closesFence(line, fence)) fence = null;
        return line;
      }
      fence = opensFence(line);
      if (fence || line.trim() === '') {
        doubt = false;
        return line;
      }
      return line
        .split('|')
        .map((cell) => {
          const r = inertCell(cell, doubt);
          doubt ||= r.unclosed;
          return r.text;
        })
        .join('|');
    })
    .join('\n');
}

interface Fence {
  readonly char: string;
  readonly length: number;
}

/** A fenced code block's opening line (CommonMark 4.5): up to 3 spaces, then 3 or more ` or ~. */
function opensFence(line: string): Fence | null {
  const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m) return null;
  const [, run, info] = m as unknown as [string, string, string];
  // A backtick fence's info string has no backtick: "```a```" is a code span.
  if (run[0] === '`' && info.includes('`')) return null;
  return { char: run[0]!, length: run.length };
}

/** The closing line: the same character, at least as many, nothing after but spaces. */
function closesFence(line: string, fence: Fence): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return m !== null && m[1]![0] === fence.char && m[1]!.length >= fence.length;
}

const PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * One cell (or line) with `<` escaped outside its code spans; `unclosed` when a backtick run in it
 * found no closing run. With `noCode`, nothing in it is taken for code.
 */
function inertCell(text: string, noCode: boolean): { text: string; unclosed: boolean } {
  let out = '';
  let unclosed = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && PUNCTUATION.test(text[i + 1]!)) {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '`') {
      const run = runAt(text, i);
      const close = noCode ? -1 : closingRun(text, i + run, run);
      if (close < 0) {
        // A run that nothing closes is literal backticks.
        unclosed = true;
        out += text.slice(i, i + run);
        i += run;
      } else {
        out += text.slice(i, close + run);
        i = close + run;
      }
      continue;
    }
    out += c === '<' && /[A-Za-z/!?]/.test(text[i + 1] ?? '') ? '&lt;' : c;
    i++;
  }
  return { text: out, unclosed };
}

function runAt(text: string, i: number): number {
  let j = i;
  while (text[j] === '`') j++;
  return j - i;
}

/** Where the first run of exactly `length` backticks from `from` starts, or -1. */
function closingRun(text: string, from: number, length: number): number {
  let i = text.indexOf('`', from);
  while (i >= 0) {
    const run = runAt(text, i);
    if (run === length) return i;
    i = text.indexOf('`', i + run);
  }
  return -1;
}

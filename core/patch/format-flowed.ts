import type { DecodedLines } from './transfer-encoding.js';

/**
 * A text/plain body sent `format=flowed` (RFC 3676), as Thunderbird sends one by default, back to
 * the lines that were written. The sender cut long lines at a space, leaving the space at the end
 * of the cut line (a soft break), and put a space before every line that began with a space, `>`
 * or `From ` (space-stuffing): read as sent, a context line ` foo` gained a space and an added line
 * cut in two ended its hunk ("does not have the lines its header counts", hostile round hE), where
 * git am (mailinfo.c handle_filter_flowed()) reads the same mail.
 *
 * §4.2: a line that ends in a space flows into the next of the same quote depth; with `delsp=yes`
 * that space was added and goes. §4.3: the signature separator `-- ` is never flowed. §4.5: quote
 * markers (`>`) come first, then the stuffed space. A quoted line comes back as its markers, one
 * space and its text, as a reply quotes a diff line (`> +foo`).
 */
export function unflow(lines: readonly string[], delSp: boolean): DecodedLines {
  const out: DecodedLines = { lines: [], from: [] };
  let pending: { depth: number; text: string; from: number } | null = null;
  const emit = (depth: number, text: string, from: number) => {
    out.lines.push(depth === 0 ? text : `${'>'.repeat(depth)}${text === '' ? '' : ` ${text}`}`);
    out.from.push(from);
  };
  const flush = () => {
    if (pending !== null) emit(pending.depth, pending.text, pending.from);
    pending = null;
  };
  lines.forEach((raw, i) => {
    if (raw === '-- ') {
      flush();
      emit(0, raw, i);
      return;
    }
    const depth = /^>*/.exec(raw)![0].length;
    let text = raw.slice(depth);
    if (text.startsWith(' ')) text = text.slice(1);
    if (pending !== null && pending.depth !== depth) flush();
    const soft = text.endsWith(' ');
    if (soft && delSp) text = text.slice(0, -1);
    if (pending === null) pending = { depth, text, from: i };
    else pending.text += text;
    if (!soft) flush();
  });
  flush();
  return out;
}

/**
 * A mail's body in a transfer encoding (RFC 2045), written as a mailer would, so that a test can
 * read a seed sent encoded and compare it with the seed as it is.
 */

/** §6.7: `=XX` for `=`, non-ASCII and control bytes, and white space that ends a line; lines over 76 characters broken softly. */
export function quotedPrintable(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      const tokens: string[] = [];
      bytes.forEach((b, k) => {
        const last = k === bytes.length - 1;
        const plain = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
        tokens.push(plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`);
      });
      // A line starting "From " is encoded as mailers do, so that no mbox reader splits there.
      if (line.startsWith('From ')) tokens[0] = '=46';
      // At most 75 characters and the soft break's `=`; an `=XX` is never cut.
      const out: string[] = [];
      let current = '';
      for (const t of tokens) {
        if (current.length + t.length > 75) {
          out.push(`${current}=`);
          current = '';
        }
        current += t;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

/** §6.8: the UTF-8 bytes in base64, 76 characters a line. */
export function base64(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

/** A mail's headers and body, cut at the first empty line. */
export function headAndBody(mail: string): { head: string; body: string } {
  const cut = mail.indexOf('\n\n');
  return { head: mail.slice(0, cut), body: mail.slice(cut + 2) };
}

/**
 * RFC 3676 format=flowed, as a mailer writes it: each line's trailing blanks trimmed (§4.2: a
 * fixed line ends in no space; the signature separator `-- ` kept), a space put before a line that
 * begins with a space, `>` or `From ` (§4.4), and lines over `width` cut: at a space that stays at
 * the end of the cut line, or, with delsp=yes, anywhere, with a space added there.
 */
export function formatFlowed(text: string, delSp: boolean, width = 72): string {
  const out: string[] = [];
  for (const original of text.split('\n')) {
    if (original === '-- ') {
      out.push(original);
      continue;
    }
    let line = original.replace(/[ \t]+$/, '');
    if (/^(?: |>|From )/.test(line)) line = ` ${line}`;
    while (line.length > width) {
      const cut = delSp ? width : line.lastIndexOf(' ', width - 1) + 1;
      if (cut <= 1) break;
      out.push(delSp ? `${line.slice(0, cut)} ` : line.slice(0, cut));
      // A piece that now begins with a space is stuffed too.
      line = /^(?: |>|From )/.test(line.slice(cut)) ? ` ${line.slice(cut)}` : line.slice(cut);
    }
    out.push(line);
  }
  return out.join('\n');
}

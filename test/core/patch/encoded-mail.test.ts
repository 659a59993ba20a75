import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPatchText } from '../../../core/patch/input.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import { base64, formatFlowed, headAndBody, quotedPrintable } from '../../support/mail-encode.js';
import { seedPath } from '../../support/seeds.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-patch-encoded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const read = (path: string) => readPatchFiles([path], readPatchText);
/** What a file's mails say, whatever file they came from. */
const messages = (path: string) => read(path).messages.map((m) => ({ ...m, source: '' }));

// Seed 001 has `=` in its code, lines over 76 characters, tabs and a `-- ` signature: each is
// encoded, so each must come back.
const seed = readFileSync(seedPath('001'), 'utf8');
const { head, body } = headAndBody(seed);
const encoded = (encoding: string, text: string) =>
  `${head}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: ${encoding}\n\n${text}\n`;

describe('a mail sent in a transfer encoding reads as the same mail sent plain', () => {
  it('quoted-printable: the same hunks, lines and line numbers as the seed', () => {
    const qp = quotedPrintable(body);
    expect(qp).toMatch(/=3D/);
    expect(qp).toMatch(/=\n/);
    expect(messages(file('001-qp.eml', encoded('quoted-printable', qp)))).toEqual(messages(seedPath('001')));
  });

  it('base64: the same hunks, lines and line numbers as the seed', () => {
    expect(messages(file('001-b64.eml', encoded('base64', base64(body))))).toEqual(messages(seedPath('001')));
  });

  it('a patch attached in base64 to a multipart mail: the same files and hunks as the seed', () => {
    const mail = [
      head,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="=-=b=-="',
      '',
      'This is a multi-part message in MIME format.',
      '--=-=b=-=',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable('The patch is attached: a =-sign survives.'),
      '--=-=b=-=',
      'Content-Type: text/x-patch; charset=UTF-8; name="0008.patch"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment',
      '',
      base64(body),
      '--=-=b=-=--',
      '',
    ].join('\n');
    const got = read(file('001-multipart.eml', mail)).messages[0];
    expect(got.files).toEqual(read(seedPath('001')).messages[0].files);
    expect(got.commitMessage).toContain('The patch is attached: a =-sign survives.');
  });
});

describe('an added line broken softly is one added line', () => {
  it('the text after the soft break is not taken for a context line, and =3D is read as =', () => {
    const mail = [
      'From: A <a@b.c>',
      'Subject: [PATCH] qp',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '--- a/virt/kvm/async_pf.c',
      '+++ b/virt/kvm/async_pf.c',
      '@@ -1,2 +1,3 @@',
      ' a',
      '+\tu32 x =3D 1; /* a very long comment that=',
      ' goes on */',
      ' b',
      '',
    ].join('\n');
    const hunk = read(file('soft.eml', mail)).messages[0].files[0].hunks[0];
    expect(hunk.lines.map((l) => [l.kind, l.text, l.newLine])).toEqual([
      [' ', 'a', 1],
      ['+', '\tu32 x = 1; /* a very long comment that goes on */', 2],
      [' ', 'b', 3],
    ]);
  });

  it('an error in a quoted-printable diff names the line of the file where the decoded line begins', () => {
    const mail = ['Subject: x', 'Content-Transfer-Encoding: quoted-printable', '', '--- a/x.c', '+++ b/x.c', '@@ -1,3 +1,3 @@', ' a long=', ' line', ' b', 'not a diff line', ''].join('\n');
    // Decoded: line 8 (` a long line`) and line 9 (` b`) are two of the three lines counted; line 10 is the third.
    expect(() => read(file('short-qp.eml', mail))).toThrow(/short-qp\.eml:10: the hunk "@@ -1,3 \+1,3 @@" does not have the lines/);
  });
});

describe('a body that cannot be decoded is refused by name', () => {
  it('an encoding that is not read names it and its header line', () => {
    const mail = 'From: A <a@b.c>\nSubject: x\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x.patch\n';
    expect(() => read(file('uu.eml', mail))).toThrow(/uu\.eml:3: Content-Transfer-Encoding x-uuencode is not read .*; save the patch as plain text$/);
  });

  it('broken base64 names the line and the character, not "text with no diff in it"', () => {
    const mail = `Subject: x\nContent-Transfer-Encoding: base64\n\n${base64('--- a/x.c\n')}\n!!!notbase64***\n`;
    expect(() => read(file('bad64.eml', mail))).toThrow(/bad64\.eml:5: the base64 text cannot be decoded: a character that is not base64 \("!"\)/);
  });
});

describe('a multipart/alternative mail is read once (RFC 2046 §5.1.4: the same text in other forms)', () => {
  it('its text/plain part only: an HTML copy after it does not count every hunk twice (hostile finding)', () => {
    const html = base64(`<pre>\n${body.replace(/&/g, '&amp;').replace(/</g, '&lt;')}\n</pre>`);
    const mail = [
      head,
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      body,
      '--b1',
      'Content-Type: text/html',
      'Content-Transfer-Encoding: base64',
      '',
      html,
      '--b1--',
      '',
    ].join('\n');
    const hunks = (path: string) => read(path).messages.flatMap((m) => m.files.flatMap((f) => f.hunks.map((h) => h.header)));
    expect(hunks(file('001-alt.eml', mail))).toEqual(hunks(seedPath('001')));
  });
});

describe('a binary attachment beside the patch', () => {
  const withAttachment = (type: string) =>
    [
      head,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b2"',
      '',
      '--b2',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      body,
      '--b2',
      `Content-Type: ${type}; name="config.gz"`,
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="config.gz"',
      '',
      // gzip's header: 1f 8b 08 00, then NUL bytes.
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c, 0x02, 0x00]).toString('base64'),
      '--b2--',
      '',
    ].join('\n');

  it('is left as it is (application/gzip, application/octet-stream): the patch reads as the seed', () => {
    for (const type of ['application/gzip', 'application/octet-stream']) {
      const got = read(file(`001-gz-${type.replace('/', '-')}.eml`, withAttachment(type))).messages[0];
      expect(got.files, type).toEqual(read(seedPath('001')).messages[0].files);
    }
  });

  it('a text part with NUL bytes in its base64 is still refused, naming the line', () => {
    expect(() => read(file('001-gz-text.eml', withAttachment('text/plain')))).toThrow(/001-gz-text\.eml:\d+: the base64 text cannot be decoded: binary data in it/);
  });
});

describe('a mail sent format=flowed (RFC 3676; Thunderbird by default) reads as the mail written', () => {
  const flowed = (delSp: boolean) =>
    `${head}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8; format=flowed${delSp ? '; delsp=yes' : ''}\nContent-Transfer-Encoding: 7bit\n\n${formatFlowed(body, delSp)}\n`;

  it('its long lines cut at a space and its space-stuffed lines: the same hunks, lines and numbers as the seed', () => {
    const text = formatFlowed(body, false);
    expect(text).toMatch(/ \n/);
    expect(text).toMatch(/^ {2}\S/m);
    const hunks = (path: string) => read(path).messages.flatMap((m) => m.files.flatMap((f) => f.hunks.map((h) => ({ ...h, message: 0 }))));
    expect(hunks(file('001-flowed.eml', flowed(false)))).toEqual(hunks(seedPath('001')));
  });

  it('delsp=yes: the space added at each cut goes', () => {
    const hunks = (path: string) => read(path).messages.flatMap((m) => m.files.flatMap((f) => f.hunks.map((h) => h.lines)));
    expect(hunks(file('001-flowed-delsp.eml', flowed(true)))).toEqual(hunks(seedPath('001')));
  });

  it("a reply's quoted lines flow only into lines of the same depth, and keep their quote markers", () => {
    const reply = [
      'From: Rev Iewer <r@example.org>',
      'Subject: Re: [PATCH] x',
      'Content-Type: text/plain; charset=utf-8; format=flowed',
      '',
      'On Mon, Ann wrote:',
      '> +\tif (kvm_async_pf_enabled) ',
      '> return 1;',
      '>>  context',
      'Why not a ',
      'helper?',
      '',
    ].join('\n');
    expect(readPatchFiles([seedPath('001'), file('001-flowed-reply.eml', reply)], readPatchText).comments[0].body).toEqual(['On Mon, Ann wrote:', '> +\tif (kvm_async_pf_enabled) return 1;', '>>  context', 'Why not a helper?']);
  });
});

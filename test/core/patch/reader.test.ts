import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/errors.js';
import { MAX_PATCH_BYTES, readPatchText } from '../../../core/patch/input.js';
import { attachComments } from '../../../core/patch/attach.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import { seedPath } from '../../support/seeds.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-patch-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const read = (...paths: string[]) => readPatchFiles(paths, readPatchText);

const PATCH_A = `From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Ann Author <ann@example.org>
Date: Mon, 4 Jan 2021 10:00:00 +0000
Subject: [PATCH 1/2] KVM: first
 part of a folded subject
Message-Id: <a1@example.org>

Why the change.

Signed-off-by: Ann Author <ann@example.org>
---
 virt/kvm/async_pf.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/virt/kvm/async_pf.c b/virt/kvm/async_pf.c
index 1111111..2222222 100644
--- a/virt/kvm/async_pf.c
+++ b/virt/kvm/async_pf.c
@@ -10,3 +10,3 @@ void f(void)
 a
-b
+c

-- 
2.41.0
`;

const PATCH_B = `From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
From: Ann Author <ann@example.org>
Date: Mon, 4 Jan 2021 10:00:01 +0000
Subject: [PATCH 2/2] KVM: second

diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c
--- a/arch/x86/kvm/x86.c
+++ b/arch/x86/kvm/x86.c
@@ -1,2 +1,3 @@
 x
+y
 z
diff --git a/arch/x86/kernel/new.c b/arch/x86/kernel/new.c
new file mode 100644
--- /dev/null
+++ b/arch/x86/kernel/new.c
@@ -0,0 +1 @@
+only
`;

describe('the seeds', () => {
  it('001: one format-patch mail, its headers, and the five files of its diffstat', () => {
    const r = read(seedPath('001'));
    expect(r.messages).toHaveLength(1);
    const m = r.messages[0];
    expect(m).toMatchObject({
      kind: 'patch',
      subject: '[PATCH 08/11] KVM: Inject asynchronous page fault into a PV guest if page is swapped out.',
      from: 'Gleb Natapov <gleb@redhat.com>',
      date: 'Thu, 14 Oct 2010 11:22:53 +0200',
      diffstat: { files: 5, insertions: 55, deletions: 12 },
    });
    expect(m.files.map((f) => [f.path, f.hunks.length])).toEqual([
      ['arch/x86/include/asm/kvm_host.h', 3],
      ['arch/x86/kvm/mmu.c', 1],
      ['arch/x86/kvm/x86.c', 1],
      ['include/trace/events/kvm.h', 1],
      ['virt/kvm/async_pf.c', 1],
    ]);
    // The `-- ` signature after the last hunk is not read as a removed line.
    expect(m.files.at(-1)!.removed).toBe(1);
    expect(m.commitMessage[0]).toBe('Send async page fault to a PV guest if it accesses swapped out memory.');
  });

  it('001: hunk lines carry their new-file line numbers', () => {
    const x86 = read(seedPath('001')).messages[0].files.find((f) => f.path === 'arch/x86/kvm/x86.c')!;
    const line = x86.hunks[0].lines.find((l) => l.text.includes('kvm_inject_page_fault'))!;
    expect(line).toMatchObject({ kind: '+', newLine: 6270, oldLine: null });
  });

  it('003: the review page gives the patch (subject, author, message id) and its twelve comments', () => {
    const r = read(seedPath('003'));
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({
      subject: '[RFCv2,9/9] arm64: Support async page fault',
      from: 'Gavin Shan',
      date: 'May 8, 2020, 3:29 a.m. UTC',
      messageId: '20200508032919.52147-10-gshan@redhat.com',
      diffstat: { files: 6, insertions: 505, deletions: 7 },
    });
    expect(r.messages[0].files.map((f) => f.path)).toEqual([
      'arch/arm64/Kconfig',
      'arch/arm64/include/asm/exception.h',
      'arch/arm64/include/asm/kvm_para.h',
      'arch/arm64/kernel/entry.S',
      'arch/arm64/kernel/process.c',
      'arch/arm64/mm/fault.c',
    ]);
    expect(r.comments.map((c) => `${c.number} ${c.author}`)).toEqual([
      '1 Mark Rutland', '2 Paolo Bonzini', '3 Gavin Shan', '4 Marc Zyngier', '5 Paolo Bonzini', '6 Paolo Bonzini',
      '7 Gavin Shan', '8 Marc Zyngier', '9 Paolo Bonzini', '10 Marc Zyngier', '11 Paolo Bonzini', '12 Gavin Shan',
    ]);
    expect(r.comments[10].date).toBe('June 1, 2020, 9:21 a.m. UTC');
  });

  it('002: a cover letter is bad input that gives its diffstat and asks for the patches', () => {
    expect(() => read(seedPath('002'))).toThrow(BadInputError);
    expect(() => read(seedPath('002'))).toThrow(
      /002_[0-9a-f]+\.txt: a series cover letter for 12 patches by Gleb Natapov: it carries only a diffstat \(27 files changed, 941 insertions\(\+\), 34 deletions\(-\)\), no hunks; give the patches of the series themselves$/,
    );
  });

  it("a mail archive's HTML view of 001 is bad input that says it is a web page, not 'a series cover letter'", () => {
    const text = readFileSync(seedPath('001'), 'utf8');
    const lines = text.split('\n').map((l) => (l.startsWith('@@') ? `<span class="hunk">${l}</span>` : l.replace(/&/g, '&amp;').replace(/</g, '&lt;')));
    const page = `<!DOCTYPE html>\n<html><head><title>[PATCH 08/11]</title></head><body><pre>\n${lines.join('\n')}\n</pre></body></html>\n`;
    expect(() => read(file('lore.html', page))).toThrow(/lore\.html: a web page \(HTML\), not a patch: save the mail itself/);
    expect(() => read(file('lore2.html', page.replace('<!DOCTYPE html>\n', '')))).toThrow(/lore2\.html: a web page \(HTML\)/);
  });

  it('004: notes with no diff are bad input that says so', () => {
    expect(() => read(seedPath('004'))).toThrow(/004_[0-9a-f]+\.txt: notes \(Markdown text\) with no diff in it/);
  });
});

describe('series, mboxes and replies', () => {
  it('two files are one series, numbered in order; renames and new files keep their status', () => {
    const r = read(file('a.patch', PATCH_A), file('b.patch', PATCH_B));
    expect(r.messages.map((m) => [m.number, m.subject])).toEqual([
      [1, '[PATCH 1/2] KVM: first part of a folded subject'],
      [2, '[PATCH 2/2] KVM: second'],
    ]);
    expect(r.messages[0].messageId).toBe('a1@example.org');
    expect(r.messages[1].files.map((f) => [f.path, f.status, f.added, f.removed])).toEqual([
      ['arch/x86/kvm/x86.c', 'modified', 1, 0],
      ['arch/x86/kernel/new.c', 'added', 1, 0],
    ]);
  });

  it('one mail given twice (in an mbox and as its own file) is bad input naming both, not its hunks counted twice', () => {
    const mbox = file('series.mbx', `${PATCH_A}\n${PATCH_B}`);
    expect(() => read(mbox, file('again-a.patch', PATCH_A))).toThrow(/again-a\.patch: the mail <a1@example\.org> is given twice \(.*series\.mbx and .*again-a\.patch\)/);
    // git format-patch writes no Message-Id: its From, Date and Subject together name the mail.
    expect(() => read(mbox, file('again-b.patch', PATCH_B))).toThrow(/again-b\.patch: the mail "\[PATCH 2\/2\] KVM: second" of Mon, 4 Jan 2021 10:00:01 \+0000 is given twice/);
    expect(() => read(file('twice.mbx', `${PATCH_B}\n${PATCH_B}`))).toThrow(/twice\.mbx: the mail .* is given twice \(mails 1 and 2\)/);
    // b4 am keeps the Message-ID that git format-patch's file of the same mail has not.
    expect(() => read(file('b4.mbx', PATCH_B.replace('Subject:', 'Message-Id: <b2@example.org>\nSubject:')), file('again-b2.patch', PATCH_B))).toThrow(
      /again-b2\.patch: the mail "\[PATCH 2\/2\] KVM: second" of Mon, 4 Jan 2021 10:00:01 \+0000 is given twice \(.*b4\.mbx and .*again-b2\.patch\)/,
    );
    // Two versions of one patch differ in their Date (and Message-Id): both are read.
    expect(read(file('b.patch', PATCH_B), file('b-v2.patch', PATCH_B.replace('10:00:01', '11:00:01'))).messages).toHaveLength(2);
  });

  it('an mbox whose first mail does not end with a blank line (cat a.patch b.patch) is still two mails', () => {
    const r = read(file('cat.mbox', `${PATCH_A.replace(/\n+$/, '')}\n${PATCH_B}`));
    expect(r.messages.map((m) => m.subject)).toEqual(['[PATCH 1/2] KVM: first part of a folded subject', '[PATCH 2/2] KVM: second']);
  });

  it('an mbox: patches, a cover letter and a reply; the reply becomes a comment', () => {
    const cover = `From cover@example.org Mon Jan  4 09:59:00 2021
From: Ann Author <ann@example.org>
Subject: [PATCH 0/2] KVM: things

Cover text.

 2 files changed, 2 insertions(+), 1 deletion(-)
`;
    const reply = `From rev@example.org Tue Jan  5 09:00:00 2021
From: "Rob Reviewer" <rob@example.org>
Date: Tue, 5 Jan 2021 09:00:00 +0000
Subject: Re: [PATCH 1/2] KVM: first

> -b
> +c

Why c?
`;
    const r = read(file('thread.mbox', `${cover}\n${PATCH_A.replace(/^From 1+ /, 'From ann@example.org ').replace('Mon Sep 17 00:00:00 2001', 'Mon Jan  4 10:00:00 2021')}\n${reply}`));
    expect(r.messages.map((m) => m.kind)).toEqual(['cover-letter', 'patch']);
    expect(r.comments).toHaveLength(1);
    expect(r.comments[0]).toMatchObject({ number: 1, author: 'Rob Reviewer', date: 'Tue, 5 Jan 2021 09:00:00 +0000' });
  });

  it('a thread saved newest first: a reply is matched against what was written before it, by Date', () => {
    const rob = `From rev@example.org Tue Jan  5 09:00:00 2021
From: "Rob Reviewer" <rob@example.org>
Date: Tue, 5 Jan 2021 09:00:00 +0000
Subject: Re: [PATCH 1/2] KVM: first

On Mon, Jan 04, 2021, Ann Author wrote:
> -b
> +c

Why c rather than d here?
`;
    const ann = `From ann@example.org Wed Jan  6 09:00:00 2021
From: Ann Author <ann@example.org>
Date: Wed, 6 Jan 2021 09:00:00 +0000
Subject: Re: [PATCH 1/2] KVM: first

On Tue, Jan 05, 2021, Rob Reviewer wrote:
> Why c rather than d here?

Because d breaks the build.
`;
    const patch = PATCH_A.replace(/^From 1+ /, 'From ann@example.org ').replace('Mon Sep 17 00:00:00 2001', 'Mon Jan  4 10:00:00 2021');
    const r = read(file('newest-first.mbox', `${ann}\n${rob}\n${patch}`));
    const [annC, robC] = attachComments(r.messages, r.comments);
    expect([annC.author, robC.author]).toEqual(['Ann Author', 'Rob Reviewer']);
    expect(annC.replyTo).toEqual({ author: 'Rob Reviewer', comment: robC.number });
    expect(annC.remarks[0].answers).toMatchObject({ kind: 'comment', comment: robC.number });
    expect(robC.remarks[0].answers.kind).toBe('hunk');
  });

  it('a cover letter next to the patches is read with them; notes next to them are refused', () => {
    const cover = file('0000-cover.patch', 'Subject: [PATCH 0/1] x\n\n 1 file changed, 1 insertion(+)\n');
    expect(read(cover, file('a2.patch', PATCH_A)).messages.map((m) => m.kind)).toEqual(['cover-letter', 'patch']);
    expect(() => read(file('notes.md', '# notes\n\nno diff\n'), file('a3.patch', PATCH_A))).toThrow(/notes\.md: notes \(Markdown text\) with no diff/);
  });

  it('a bare diff (no mail headers), with a context line whose trailing space a mailer ate', () => {
    const r = read(file('bare.diff', '--- a/mm/memory.c\n+++ b/mm/memory.c\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n'));
    expect(r.messages[0]).toMatchObject({ subject: null, from: null });
    expect(r.messages[0].files[0].hunks[0].lines.map((l) => l.kind)).toEqual([' ', ' ', '-', '+']);
  });

  it('a hunk shorter than its header is bad input naming the line', () => {
    expect(() => read(file('short.diff', '--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\nsome prose\n'))).toThrow(
      /short\.diff:6: the hunk "@@ -1,3 \+1,3 @@" does not have the lines its header counts \(1 old and 2 new still expected\)/,
    );
  });

  it('a hunk longer than its header counts is bad input naming the line and the side that runs over', () => {
    // Two context lines use up the old count of 2 while a new line is still expected: the third overruns.
    expect(() => read(file('long.diff', '--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,3 @@\n a\n b\n c\n+d\n'))).toThrow(
      /\/long\.diff:6: the hunk "@@ -1,2 \+1,3 @@" has more old lines than its header counts \(2 old and 3 new\): a damaged or hand-edited patch$/,
    );
    expect(() => read(file('long-new.diff', '--- a/x.c\n+++ b/x.c\n@@ -1,2 +1 @@\n+a\n+b\n-c\n'))).toThrow(/\/long-new\.diff:5: the hunk "@@ -1,2 \+1 @@" has more new lines than its header counts \(2 old and 1 new\)/);
  });

  it('seed 003 saved without its Patch section is called a review page without its patch, not a cover letter', () => {
    const page = readFileSync(seedPath('003'), 'utf8').split('\n');
    const cut = page.slice(0, page.lastIndexOf('Patch')).join('\n');
    expect(() => read(file('003-nopatch.txt', cut))).toThrow(/003-nopatch\.txt: a review page without its patch/);
  });

  it('a hunk that counts more lines than a number can hold is bad input naming the line (it printed 1e+21)', () => {
    expect(() => read(file('huge-hunk.diff', '--- a/x.c\n+++ b/x.c\n@@ -1,1000000000000000000000 +1,1 @@\n+a\n'))).toThrow(/huge-hunk\.diff:3: the hunk .* counts more lines than any file has/);
  });

  it('a hunk that counts no lines (@@ -0,0 +0,0 @@) is bad input naming the line, as git calls it corrupt', () => {
    expect(() => read(file('empty-hunk.diff', '--- a/x.c\n+++ b/x.c\n@@ -0,0 +0,0 @@\n+a\n'))).toThrow(/empty-hunk\.diff:3: the hunk "@@ -0,0 \+0,0 @@" counts no lines at all/);
  });

  it('a binary file beside a text change is counted in the footprint, not dropped', () => {
    const text = 'diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/fw.bin b/fw.bin\nindex 1234567..89abcde 100644\nBinary files a/fw.bin and b/fw.bin differ\n';
    const r = read(file('bin.diff', text));
    expect(r.messages[0].files.map((f) => [f.path, f.added, f.removed, f.hunks.length])).toEqual([
      ['x.c', 1, 1, 1],
      ['fw.bin', 0, 0, 0],
    ]);
  });

  it('file headers with no hunk (a mode change) say so', () => {
    expect(() => read(file('mode.diff', 'diff --git a/x b/x\nold mode 100644\nnew mode 100755\n'))).toThrow(/mode\.diff: file headers only/);
  });
});

/** A merge as `git show` prints it: a two-way section, then a combined (`diff --cc`) one, then another two-way one. */
const MERGE = `From: Ann Author <ann@example.org>
Subject: Merge branch 'kvm-apf'

Merge.
---
diff --git a/virt/kvm/async_pf.c b/virt/kvm/async_pf.c
--- a/virt/kvm/async_pf.c
+++ b/virt/kvm/async_pf.c
@@ -1,2 +1,2 @@
 a
-b
+c
diff --cc arch/x86/kernel/kvm.c
index 3333333,4444444..5555555
--- a/arch/x86/kernel/kvm.c
+++ b/arch/x86/kernel/kvm.c
@@@ -20,3 -20,3 +20,4 @@@ static void bar(void
  x();
 +wrmsrl(MSR_KVM_ASYNC_PF_ACK, 1);
 -y();
++z();
  w();
@@@ -40,2 -40,2 +41,1 @@@
--gone();
  v();
diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c
--- a/arch/x86/kvm/x86.c
+++ b/arch/x86/kvm/x86.c
@@ -5 +5,2 @@
 k
+l
`;

describe('merge (diff --cc) sections', () => {
  it('are left out of the files and counts, and reported with their place; the sections around them are read', () => {
    const r = read(file('merge.patch', MERGE));
    const m = r.messages[0];
    expect(m.kind).toBe('patch');
    expect(m.files.map((f) => [f.path, f.added, f.removed, f.hunks.length])).toEqual([
      ['virt/kvm/async_pf.c', 1, 1, 1],
      ['arch/x86/kvm/x86.c', 1, 0, 1],
    ]);
    expect(m.combined).toEqual([{ path: 'arch/x86/kernel/kvm.c', hunks: 2, line: 13 }]);
  });

  it('a file of merge sections only is bad input that says so', () => {
    const only = MERGE.split('\n').filter((_, i) => i < 5 || (i >= 12 && i < 25)).join('\n');
    expect(only).toContain('diff --cc');
    expect(only).not.toContain('diff --git');
    expect(() => read(file('merge-only.patch', only))).toThrow(/merge-only\.patch: only merge sections \(diff --cc\), which apf-lab patch does not read/);
  });
});

describe('UTF-16 patch files', () => {
  const utf8 = read(file('utf8.patch', PATCH_A));
  const bom = (le: boolean, text: string) => {
    const body = Buffer.from(text, 'utf16le');
    if (!le) body.swap16();
    return Buffer.concat([Buffer.from(le ? [0xff, 0xfe] : [0xfe, 0xff]), body]);
  };

  it.each([
    ['UTF-16LE', true],
    ['UTF-16BE', false],
  ])('%s with its byte-order mark is read as the same patch', (_name, le) => {
    const r = read(file(`utf16-${le ? 'le' : 'be'}.patch`, bom(le, PATCH_A.replace(/\n/g, '\r\n'))));
    expect(r.messages).toEqual(utf8.messages.map((m) => ({ ...m, source: expect.stringMatching(/utf16-/) })));
  });

  it('UTF-16 that does not decode, or without a mark, is named as UTF-16 in the error', () => {
    expect(() => read(file('odd.patch', Buffer.concat([bom(true, 'diff'), Buffer.from([0x41])])))).toThrow(/odd\.patch: starts with a UTF-16LE byte-order mark but is not valid UTF-16LE text/);
    expect(() => read(file('nobom.patch', Buffer.from(PATCH_A, 'utf16le')))).toThrow(/nobom\.patch: a binary file, not a patch \(it looks like UTF-16LE without a byte-order mark/);
  });
});

describe('files that are no patch at all', () => {
  it.each([
    ['missing', join(dir, 'nope.patch'), /nope\.patch: cannot read it \(no such file\)$/],
    ['a directory', dir, /: a directory, not a patch file$/],
    ['empty', file('empty.patch', ''), /empty\.patch: empty file, not a patch$/],
    ['blank', file('blank.patch', ' \n\n'), /blank\.patch: only white space, not a patch$/],
    ['binary', file('bin.patch', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), /bin\.patch: a binary file, not a patch/],
    ['over the cap', '/dev/zero', new RegExp(`/dev/zero: larger than the ${MAX_PATCH_BYTES / 1024 / 1024} MiB limit for a patch file`)],
  ])('%s → one-line BadInputError', (_what, path, message) => {
    expect(() => read(path)).toThrow(BadInputError);
    expect(() => read(path)).toThrow(message);
  });

  // Hostile round K: each of these took 25-90 s in patterns quadratic in a long line (a number
  // matched from every digit of a run, words backtracking over a line, a lazy name before blanks).
  it.each([
    ['a line of 200,000 digits', `${'1'.repeat(200_000)}\n`, /: text with no diff in it/],
    ['a diffstat, then a line of 200,000 capitalised words', `1 file changed\n${'A '.repeat(200_000)}\n`, /: a series cover letter: it carries only a diffstat \(1 file changed/],
    ['a review page\'s commit message, then a line of 200,000 blanks', `Commit Message\nfoo\nx${' '.repeat(200_000)}\n`, /: text with no diff in it/],
    ['a From header of 100,000 blanks', `From: "${' '.repeat(100_000)}x\nSubject: a\n\nbody\n`, /: text with no diff in it/],
  ])('%s: one line, as for a short file', (_what, text, message) => {
    expect(() => read(file('long.patch', text))).toThrow(message);
  });

  it('a reply whose From is 100,000 opening parentheses is read (a pattern scanned to the end from every one: 5 s; round L)', () => {
    const reply = `From rev@example.org Tue Jan  5 09:00:00 2021\nFrom: ${'('.repeat(100_000)}x) <r@example.org>\nSubject: Re: [PATCH 1/2] KVM: first\n\n> -b\n\nWhy?\n`;
    const r = read(file('parens.mbox', `${PATCH_A}\n${reply}`));
    expect(r.comments).toHaveLength(1);
    expect(r.comments[0].author).toBe(`${'('.repeat(99_999)}x`);
  });

  it('the shortlog and the diffstat of a cover letter are read where a long line sits beside them', () => {
    const cover = `Subject: [PATCH 0/2] x\n\n${'y'.repeat(10_000)}\nGleb Natapov (2):\n  a\n\n 12 files changed, 3 insertions(+), 4 deletions(-)\n`;
    expect(() => read(file('cover.patch', cover))).toThrow(/a series cover letter for 2 patches by Gleb Natapov: it carries only a diffstat \(12 files changed, 3 insertions\(\+\), 4 deletions\(-\)\)/);
  });

  it('old mail in Latin-1 is read, not refused', () => {
    const latin = Buffer.concat([Buffer.from('From: J\xf6rg <j@example.org>\nSubject: x\n\n', 'latin1'), Buffer.from('--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n')]);
    expect(read(file('latin1.patch', latin)).messages[0].from).toBe('Jörg <j@example.org>');
  });
});

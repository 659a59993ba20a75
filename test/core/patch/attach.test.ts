import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachComments, type AttachedComment, type Target } from '../../../core/patch/attach.js';
import { readPatchText } from '../../../core/patch/input.js';
import type { PatchMessage, RawComment } from '../../../core/patch/model.js';
import { readPatchFiles } from '../../../core/patch/reader.js';
import { attributionName, parseReply } from '../../../core/patch/remarks.js';
import { seedPath } from '../../support/seeds.js';

function where(t: Target): string {
  if (t.kind === 'hunk') return `${t.hunk.path}#${t.hunk.hunk}:${t.line}`;
  if (t.kind === 'hunks') return `${t.hunks.length} hunks`;
  if (t.kind === 'comment') return `comment #${t.comment}`;
  return t.kind;
}

describe('seed 003: every remark under what it answers', () => {
  const input = readPatchFiles([seedPath('003')], readPatchText);
  const comments = attachComments(input.messages, input.comments);
  const of = (n: number): AttachedComment => comments.find((c) => c.number === n)!;

  it("Mark Rutland's eight inline remarks, each on the line of the hunk it follows", () => {
    // Read from the seed: the quoted line just above each remark (a brace or `*/` skipped).
    expect(of(1).remarks.map((r) => [where(r.answers), r.text[0]])).toEqual([
      ['arch/arm64/include/asm/kvm_para.h#1:19', 'Please make these bool, and return true/false, as was the case with the'],
      ['arch/arm64/kernel/entry.S#1:757', 'Yuck. I am very much not keen on this living in the entry assembly.'],
      ['arch/arm64/kernel/entry.S#1:791', 'This looks scary, and needs an introduction in the commit message.'],
      ['arch/arm64/kernel/process.c#2:78', 'This is meant to be a very low-level helper, so I don\'t think this'],
      ['arch/arm64/mm/fault.c#3:835', "Please don't open-code idle sequences. I strongly suspect this won't"],
      ['arch/arm64/mm/fault.c#3:878', "What is 'the edging context'?"],
      ['arch/arm64/mm/fault.c#3:896', 'Huh? Are we doing this to prevent the host from writing tho this area?'],
      ['arch/arm64/mm/fault.c#4:1212', 'NAK. This assumption is not true, and regardless we should not make any'],
    ]);
    expect(of(1).hunks.map((h) => `${h.path}#${h.hunk}`)).toEqual([
      'arch/arm64/include/asm/kvm_para.h#1', 'arch/arm64/kernel/entry.S#1', 'arch/arm64/kernel/process.c#2', 'arch/arm64/mm/fault.c#3', 'arch/arm64/mm/fault.c#4',
    ]);
    // The NAK's own text ends before the sign-off.
    expect(of(1).remarks.at(-1)!.text.at(-1)).toBe('How does x86 handle this?');
  });

  it('the lines the anchors name are the code the remarks are about', () => {
    const fault = input.messages[0].files.find((f) => f.path === 'arch/arm64/mm/fault.c')!;
    const text = (line: number) => fault.hunks.flatMap((h) => h.lines).find((l) => l.newLine === line)!.text.trim();
    expect(text(835)).toBe('wfi();');
    expect(text(896)).toBe('KVM_PV_REASON_PAGE_READY);');
    expect(text(1212)).toBe('val += 4096;');
  });

  it("Paolo Bonzini's #2 is top-posted above a quote of the whole patch: it answers every hunk", () => {
    const [r] = of(2).remarks;
    expect(r.placement).toBe('top');
    expect(where(r.answers)).toBe('11 hunks');
    expect(r.text[0]).toBe('I definitely appreciate the work, but this is repeating most of the');
  });

  it("Marc Zyngier's replies answer the comments they quote (no code quoted)", () => {
    expect(of(4).remarks.map((r) => where(r.answers))).toEqual(['comment #3', 'comment #3']);
    expect(of(8).remarks.map((r) => where(r.answers))).toEqual(['comment #7']);
    expect(of(10).remarks.map((r) => where(r.answers))).toEqual(['comment #9', 'comment #9']);
    expect(of(4).replyTo).toEqual({ author: 'Gavin Shan', comment: 3 });
    // Paolo wrote #2, #5 and #6 before Gavin's #7: which one is not said by the attribution.
    expect(of(7).replyTo).toEqual({ author: 'Paolo Bonzini', comment: null });
  });
});

const PATCH = `From: Ann <ann@example.org>
Subject: [PATCH] KVM: x

Make the thing faster by
doing less work.
---
diff --git a/virt/kvm/a.c b/virt/kvm/a.c
--- a/virt/kvm/a.c
+++ b/virt/kvm/a.c
@@ -1,3 +1,5 @@
 int a;
+#endif
 int b;
+int c;
 int d;
diff --git a/virt/kvm/b.c b/virt/kvm/b.c
--- a/virt/kvm/b.c
+++ b/virt/kvm/b.c
@@ -10,2 +10,3 @@
 int x;
+#endif
 int y;
`;

function attach(...bodies: string[]): AttachedComment[] {
  const messages: PatchMessage[] = readPatchFiles(['p'], () => ({ text: PATCH, bytes: PATCH.length })).messages as PatchMessage[];
  const comments: RawComment[] = bodies.map((b, i) => ({ number: i + 1, source: 'r', author: `R${i + 1}`, date: null, body: b.split('\n') }));
  return attachComments(messages, comments);
}

describe('hand-made replies', () => {
  it('a quote of the commit message only attaches to the commit message', () => {
    const [c] = attach('> Make the thing faster by\n> doing less work.\n\nFaster how?');
    expect(c.remarks.map((r) => [r.placement, where(r.answers)])).toEqual([['inline', 'commit-message']]);
    expect(c.hunks).toEqual([]);
  });

  it('a recurring line is taken at its next occurrence after the last match', () => {
    const [c] = attach('> +int c;\n> @@ -10,2 +10,3 @@\n>  int x;\n> +#endif\n\nWhy here?');
    expect(where(c.remarks[0].answers)).toBe('virt/kvm/b.c#1:11');
  });

  it('nested quotes, a context line whose space the mail ate, and a later reply quoting an earlier one', () => {
    const [first, second] = attach('>\tint a;\n> +#endif\n\nDrop this.', '> > +#endif\n> Drop this.\n\nAgreed.');
    expect(where(first.remarks[0].answers)).toBe('virt/kvm/a.c#1:2');
    expect(where(second.remarks[0].answers)).toBe('comment #1');
  });

  it('no quote: no target; the greeting and the sign-off are not the remark', () => {
    const [c] = attach('Hi Ann,\n\nLooks fine to me.\n\nThanks,\nRob');
    expect(c.remarks).toEqual([{ text: ['Looks fine to me.'], placement: 'unquoted', answers: { kind: 'none' } }]);
  });
});

describe('attributionName', () => {
  it.each([
    ['On Fri, May 08, 2020 at 01:29:19PM +1000, Gavin Shan wrote:', 'Gavin Shan'],
    ['On 2020-05-28 07:14, Marc Zyngier wrote:', 'Marc Zyngier'],
    ['Gleb Natapov <gleb@redhat.com> wrote:', 'Gleb Natapov'],
    ['  "Paolo Bonzini" wrote:  ', 'Paolo Bonzini'],
    ['On Mon, Jan 04, 2021, Ann Author <ann@example.org> wrote:', 'Ann Author'],
    // Round M: Gmail's form, and a quoted name with a comma.
    ['On Tue, May 5, 2020 at 10:15 AM Vitaly Kuznetsov <vkuznets@redhat.com> wrote:', 'Vitaly Kuznetsov'],
    ['On Mon, Jan 1, 2020, "Smith, John" <js@x.org> wrote:', 'Smith, John'],
    ['I wrote:this', null],
    // A sentence of one's own before a quote of it is no attribution (it named 'See what I').
    ['See what I wrote:', null],
    ['as Marc already wrote:', null],
    ['Ludwig van Beethoven wrote:', 'Ludwig van Beethoven'],
    ['gshan wrote:', 'gshan'],
    ['kernel test robot <lkp@intel.com> wrote:', 'kernel test robot'],
    ['rewrote:', null],
    ['wrote:', null],
    ['Why c?', null],
  ])('%j → %j', (line, name) => {
    expect(attributionName(line)).toBe(name);
  });

  it('reads a line of commas and blanks as no attribution, line after line (the pattern it replaced was cubic: 20 such lines took 12 s)', () => {
    const lines = Array.from({ length: 200 }, () => `On ,${' '.repeat(992)}x`);
    expect(parseReply(lines).replyToName).toBeNull();
    expect(attributionName(`On ${', '.repeat(497)}x wrote:`)).toBe('x');
  });
});

describe('parseReply', () => {
  it('splits remarks at quotes, skips attribution and snip lines, and names whom it replies to', () => {
    const r = parseReply(['On Fri, May 08, 2020 at 01:29:19PM +1000, Gavin Shan wrote:', '> a', '[...]', 'one', '', 'two', '>> b', 'three']);
    expect(r.replyToName).toBe('Gavin Shan');
    expect(r.remarks.map((x) => [x.text, x.before.map((q) => `${q.depth}:${q.text}`)])).toEqual([
      [['one', '', 'two'], ['1:a']],
      [['three'], ['2:b']],
    ]);
  });
});

describe('a reply to one patch of a series', () => {
  // test/fixtures/patch/shared-line-thread.mbx: patches 1 and 2 both add `{` and `\treturn 0;`; the
  // reply, In-Reply-To patch 2, quotes only those two lines.
  const thread = readFileSync(resolve('test', 'fixtures', 'patch', 'shared-line-thread.mbx'), 'utf8');
  const answer = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-attach-'));
    const path = join(dir, 'thread.mbx');
    writeFileSync(path, text);
    const input = readPatchFiles([path], readPatchText);
    rmSync(dir, { recursive: true, force: true });
    return attachComments(input.messages, input.comments).map((c) => c.remarks.map((r) => where(r.answers)));
  };

  it('a quoted line two patches share is taken in the patch the reply answers, by its In-Reply-To', () => {
    expect(answer(thread)).toEqual([['arch/x86/kvm/x86.c#1:23']]);
  });

  it('by its Subject when it has no In-Reply-To, and through a reply it answers', () => {
    expect(answer(thread.replace(/^In-Reply-To: <p2@example\.org>\nReferences: .*\n/m, ''))).toEqual([['arch/x86/kvm/x86.c#1:23']]);
    const nested = thread.replace('In-Reply-To: <p2@example.org>', 'In-Reply-To: <r0@example.org>').replace('Subject: Re: [PATCH 2/2] KVM: second', 'Subject: Re: something else');
    const first = ['From r0 Mon Sep 17 00:00:00 2001', 'From: Other One <o@example.org>', 'Date: Mon, 4 Jan 2021 11:00:00 +0000', 'Subject: Re: [PATCH 2/2] KVM: second', 'Message-Id: <r0@example.org>', 'In-Reply-To: <p2@example.org>', '', 'Looks fine.', ''].join('\n');
    expect(answer(`${nested.replace(/\n$/, '')}\n\n${first}`)[0]).toEqual(['arch/x86/kvm/x86.c#1:23']);
  });
});

describe("a reviewer's suggested diff in a reply", () => {
  // test/fixtures/patch/suggestion-thread.mbx: the thread above, the reply carrying "Something like
  // this (untested):" and a diff of its own.
  const path = resolve('test', 'fixtures', 'patch', 'suggestion-thread.mbx');

  it('is a remark of the reply, not a third patch of the series: the footprint is the two patches', () => {
    const input = readPatchFiles([path], readPatchText);
    expect(input.messages.map((m) => m.subject)).toEqual(['[PATCH 1/2] KVM: first', '[PATCH 2/2] KVM: second']);
    expect(input.messages.flatMap((m) => m.files.map((f) => [f.path, f.added, f.removed]))).toEqual([
      ['virt/kvm/async_pf.c', 4, 0],
      ['arch/x86/kvm/x86.c', 4, 0],
    ]);
    const [reply] = attachComments(input.messages, input.comments);
    expect(reply.remarks.map((r) => [where(r.answers), r.text[0]])).toEqual([['arch/x86/kvm/x86.c#1:23', 'Why return 0 here and not -EINVAL? Something like this (untested):']]);
  });

  it('written by hand with counts that do not add up, it does not make the thread bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-suggest-'));
    const sketch = join(dir, 'sketch.mbx');
    writeFileSync(sketch, readFileSync(path, 'utf8').replace('@@ -22,3 +22,3 @@', '@@ -22,9 +22,9 @@'));
    expect(readPatchFiles([sketch], readPatchText).comments).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

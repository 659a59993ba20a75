import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInProcess as cli } from '../support/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-patch-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

const TWO_WAY = `diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c
--- a/arch/x86/kvm/x86.c
+++ b/arch/x86/kvm/x86.c
@@ -10,2 +10,3 @@ static void foo(void)
 a();
+if (kvm_arch_can_dequeue_async_page_present(vcpu))
 c();
`;
const COMBINED = `diff --cc arch/x86/kernel/kvm.c
index 3333333,4444444..5555555
--- a/arch/x86/kernel/kvm.c
+++ b/arch/x86/kernel/kvm.c
@@@ -20,2 -20,2 +20,3 @@@ static void bar(void
  x();
++wrmsrl(MSR_KVM_ASYNC_PF_ACK, 1);
  w();
`;

describe('apf-lab patch: text from the patch reaches the terminal escaped', () => {
  it('a path with \\e[31m and a subject with an OSC title and \\e[2J are shown escaped; --json keeps them', async () => {
    const path = file('evil.patch', 'From: Evil <e@x>\nSubject: [PATCH] x \x1b]0;pwned\x07\x1b[2J title\n\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\x1b[31mRED\x1b[0m\n@@ -1,1 +1,2 @@\n a\n+b\n');
    const r = await cli('patch', path);
    expect(r.err).toBe('');
    expect(r.out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(r.out).toContain('  [PATCH] x \\x1b]0;pwned\\x07\\x1b[2J title\n');
    expect(r.out).toContain('    x\\x1b[31mRED\\x1b[0m');
    const json = await cli('patch', path, '--json');
    expect(json.out).toContain('\\u001b[31mRED');
  });
});

describe('apf-lab patch: counts as everywhere else', () => {
  it('a footprint of thousands of lines has separators (it printed +200000)', async () => {
    const added = Array.from({ length: 1200 }, (_, i) => `+int x${i};`).join('\n');
    const path = file('big.diff', `diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c\n--- a/arch/x86/kvm/x86.c\n+++ b/arch/x86/kvm/x86.c\n@@ -10,1 +10,1201 @@\n a();\n${added}\n`);
    const r = await cli('patch', path);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^apf-lab patch big\.diff: 1 patch, 1 file, \+1,200 −0 in 1 hunk\n/);
    expect(r.out).toMatch(/^ {4}arch\/x86\/kvm\/x86\.c +\+1,200 −0 in 1 hunk$/m);
  });
});

describe('apf-lab patch: a merge (diff --cc) section', () => {
  it('is reported in one line and in --json, and left out of every count', async () => {
    const path = file('merge.diff', `${TWO_WAY}${COMBINED}`);
    const text = await cli('patch', path);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^apf-lab patch merge\.diff: 1 patch, 1 file, \+1 −0 in 1 hunk\nnot read: 1 merge section \(diff --cc, 1 hunk\), in no count below: arch\/x86\/kernel\/kvm\.c\n\n/);
    expect(text.out).not.toMatch(/kvm\.c +\+0/);
    const json = await cli('patch', path, '--json');
    const r = JSON.parse(json.out);
    expect(r.combinedDiffs).toEqual([{ message: 1, source: path, path: 'arch/x86/kernel/kvm.c', hunks: 1, line: 8 }]);
    expect(r.footprint.files).toBe(1);
    // The ACK write sits in the merge section only: no mechanism is credited with it.
    expect(JSON.stringify(r.mechanisms)).not.toContain('ASYNC_PF_ACK');
  });

  it('a patch without one says nothing of merges, and --json has an empty list', async () => {
    const path = file('plain.diff', TWO_WAY);
    expect((await cli('patch', path)).out).not.toContain('merge section');
    expect(JSON.parse((await cli('patch', path, '--json')).out).combinedDiffs).toEqual([]);
  });
});

describe('apf-lab patch: a UTF-16 file', () => {
  it('with its byte-order mark is read as the UTF-8 one is', async () => {
    const utf8 = await cli('patch', file('p8.diff', TWO_WAY), '--json');
    const utf16 = await cli('patch', file('p16.diff', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TWO_WAY.replace(/\n/g, '\r\n'), 'utf16le')])), '--json');
    expect(utf16.err).toBe('');
    expect(utf16.code).toBe(0);
    // The same report but for the input's name and size.
    const norm = (out: string) => {
      const r = JSON.parse(out);
      return { ...r, files: r.files.map((f: object) => ({ ...f, path: '', bytes: 0 })), messages: r.messages.map((m: object) => ({ ...m, source: '' })) };
    };
    expect(norm(utf16.out)).toEqual(norm(utf8.out));
    expect(JSON.parse(utf16.out).mechanisms.some((s: { found: unknown[] }) => s.found.length > 0)).toBe(true);
  });
});

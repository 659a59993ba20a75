import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPatchText } from '../../../core/patch/input.js';
import { readPatchFiles } from '../../../core/patch/reader.js';

/**
 * A real `git format-patch --cover-letter --binary -C -C -v2 --interdiff=v0` series (git 2.39),
 * test/fixtures/patch/git-v2-series/: a cover letter with an interdiff, a pure rename, a copy, a
 * new empty file and a new binary file, a binary file deleted with a mode change, and a one-line
 * change.
 */
const DIR = resolve('test', 'fixtures', 'patch', 'git-v2-series');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.patch'))
  .sort()
  .map((f) => join(DIR, f));
const series = () => readPatchFiles(FILES, readPatchText);

describe('a git format-patch series', () => {
  it("each file's status is git's: a copy is no rename, a new empty or binary file is added, a deleted binary file deleted", () => {
    const files = series().messages.flatMap((m) => m.files.map((f) => [m.number, f.path, f.oldPath, f.status]));
    expect(files).toContainEqual([2, 'virt/kvm/apf.c', 'virt/kvm/async_pf.c', 'renamed']);
    expect(files).toContainEqual([3, 'arch/x86/kvm/x86_copy.c', 'arch/x86/kvm/x86.c', 'copied']);
    expect(files).toContainEqual([4, 'arch/x86/kernel/empty.h', null, 'added']);
    expect(files).toContainEqual([4, 'arch/x86/kvm/blob.bin', null, 'added']);
    expect(files).toContainEqual([5, 'arch/x86/kvm/blob.bin', null, 'deleted']);
    expect(files).toContainEqual([5, 'arch/x86/kvm/gen.sh', null, 'modified']);
  });
});

describe('a patch without a hunk', () => {
  it('a pure rename, a new empty or binary file, a mode change: each is a patch, not a cover letter', () => {
    const kinds = series().messages.map((m) => [m.subject, m.kind]);
    expect(kinds.slice(1, 5)).toEqual([
      ['[PATCH v2 1/5] KVM: rename async_pf.c', 'patch'],
      ['[PATCH v2 2/5] KVM: x86: copy x86.c', 'patch'],
      ['[PATCH v2 3/5] KVM: x86: empty header and a blob', 'patch'],
      ['[PATCH v2 4/5] KVM: x86: drop the blob, make gen.sh executable', 'patch'],
    ]);
  });
});

describe("a cover letter's interdiff", () => {
  it('is no change of the series: the cover letter has no file, and the footprint counts each hunk once', () => {
    const r = series();
    expect([r.messages[0].kind, r.messages[0].files]).toEqual(['cover-letter', []]);
    const hunks = r.messages.flatMap((m) => m.files.flatMap((f) => f.hunks.map((h) => `${m.number} ${f.path} ${h.header}`)));
    expect(hunks).toEqual(['3 arch/x86/kvm/x86_copy.c @@ -5,3 +5,4 @@ w', '6 arch/x86/kvm/x86.c @@ -1,5 +1,5 @@']);
  });
});

describe("git diff with diff.mnemonicPrefix", () => {
  it('i/ and w/ (and c/, o/, 1/, 2/) come off as a/ and b/ do: the path is the kernel\'s, the file modified, not renamed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-mnemonic-'));
    const diff = (from: string, to: string) =>
      [`diff --git ${from}arch/x86/kvm/x86.c ${to}arch/x86/kvm/x86.c`, 'index 256b226..533c7c0 100644', `--- ${from}arch/x86/kvm/x86.c`, `+++ ${to}arch/x86/kvm/x86.c`, '@@ -1,1 +1,2 @@', ' x', '+y', ''].join('\n');
    for (const [from, to] of [['i/', 'w/'], ['c/', 'w/'], ['c/', 'i/'], ['o/', 'w/'], ['1/', '2/']]) {
      const path = join(dir, `${from[0]}${to[0]}.diff`);
      writeFileSync(path, diff(from, to));
      const f = readPatchFiles([path], readPatchText).messages[0].files[0];
      expect([f.path, f.oldPath, f.status], `${from} ${to}`).toEqual(['arch/x86/kvm/x86.c', null, 'modified']);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('GNU diff -ruN', () => {
  it('a file one side lacks (stamped with the epoch, its hunks at line 0) is added or deleted; an empty file gaining lines is modified', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-lab-gnu-'));
    const diff = [
      'diff -ruN a/arch/x86/kvm/new.c b/arch/x86/kvm/new.c',
      '--- a/arch/x86/kvm/new.c\t1970-01-01 00:00:00.000000000 +0000',
      '+++ b/arch/x86/kvm/new.c\t2026-12-03 16:49:03.733152001 +0000',
      '@@ -0,0 +1,2 @@',
      '+y',
      '+z',
      'diff -ruN a/arch/x86/kvm/old.c b/arch/x86/kvm/old.c',
      '--- a/arch/x86/kvm/old.c\t2026-12-03 16:49:03.733152001 -0500',
      '+++ b/arch/x86/kvm/old.c\t1969-12-31 19:00:00.000000000 -0500',
      '@@ -1 +0,0 @@',
      '-x',
      'diff -ruN a/arch/x86/kvm/was-empty.c b/arch/x86/kvm/was-empty.c',
      '--- a/arch/x86/kvm/was-empty.c\t2026-12-01 10:00:00.000000000 +0000',
      '+++ b/arch/x86/kvm/was-empty.c\t2026-12-03 16:49:03.733152001 +0000',
      '@@ -0,0 +1 @@',
      '+w',
      '',
    ].join('\n');
    const path = join(dir, 'gnu.diff');
    writeFileSync(path, diff);
    const files = readPatchFiles([path], readPatchText).messages[0].files.map((f) => [f.path, f.status]);
    rmSync(dir, { recursive: true, force: true });
    expect(files).toEqual([
      ['arch/x86/kvm/new.c', 'added'],
      ['arch/x86/kvm/old.c', 'deleted'],
      ['arch/x86/kvm/was-empty.c', 'modified'],
    ]);
  });
});

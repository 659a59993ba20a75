import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apfLab, BIN } from '../support/cli.js';
import { seedPath } from '../support/seeds.js';

/** `apf-lab patch` as a user runs it (the built binary), on the four seeds. */
describe('apf-lab patch (built binary)', () => {
  it('001: x86-pf, with the footprint, the mechanisms by slot and no comments', async () => {
    const r = await apfLab('patch', seedPath('001'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^apf-lab patch 001_[0-9a-f]+\.txt: 1 patch, 5 files, \+55 −12 in 7 hunks\n/);
    expect(r.stdout).toContain('\nVariant match: x86-pf (score 0.79), x86 2010 PV async PF');
    expect(r.stdout).toMatch(/^ {2}ack {10}nothing found$/m);
    expect(r.stdout).toMatch(/^ {15}arch\/x86\/kvm\/x86\.c:6270 · x86-inject-pf · facts\/x86\.md §1/m);
    expect(r.stdout).toMatch(/^ {2}tracepoints {16}1 file, \+11 −6 in 1 hunk$/m);
    expect(r.stdout).toContain('\nReview comments: none\n');
  });

  it('003: arm64-dabt, and the reviewers\' remarks under the hunks they quote', async () => {
    const r = await apfLab('patch', seedPath('003'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\nVariant match: arm64-dabt (score 0.77), arm64 RFCv2');
    expect(r.stdout).toContain(
      '  #1 Mark Rutland, May 26, 2020, 12:56 p.m. UTC, replying to Gavin Shan\n' +
        '    arch/arm64/include/asm/kvm_para.h:19, hunk @@ -3,6 +3,20 @@\n' +
        '      Please make these bool, and return true/false, as was the case with the existing stub.\n' +
        '    arch/arm64/kernel/entry.S:757, hunk @@ -751,12 +751,45 @@ finish_ret_to_user:\n' +
        '      Yuck. I am very much not keen on this living in the entry assembly.\n',
    );
    expect(r.stdout).toContain('    the whole patch (top-posted above a quote of all 11 hunks)\n      I definitely appreciate the work');
    expect(r.stdout).toContain("  #4 Marc Zyngier, May 28, 2020, 7:03 a.m. UTC, replying to #3 Gavin Shan\n    #3 Gavin Shan's comment\n      The assignment of the PPIs");
    // Remarks are cut to a width, with an ellipsis.
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('      ') && !l.startsWith('       '))) expect(line.length).toBeLessThanOrEqual(106);
  });

  it('--json: the documented shape, and it says what the text says', async () => {
    const r = await apfLab('patch', seedPath('003'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & {
      match: { best: { id: string } | null; candidates: { id: string }[] };
      mechanisms: { slot: string; found: { signature: string; at: { path: string; line: number } }[] }[];
      comments: { number: number; remarks: { answers: { kind: string } }[]; hunks: unknown[] }[];
      footprint: { files: number; added: number; removed: number; groups: { group: string }[] };
    };
    expect(Object.keys(doc)).toEqual(['files', 'messages', 'footprint', 'arches', 'mechanisms', 'match', 'comments', 'combinedDiffs']);
    expect(doc.match.best!.id).toBe('arm64-dabt');
    expect(doc.mechanisms.map((m) => m.slot)).toEqual(['enable', 'notPresent', 'ready', 'token', 'eligibility', 'wake', 'ack']);
    expect(doc.footprint).toMatchObject({ files: 6, added: 505, removed: 7 });
    expect(doc.comments).toHaveLength(12);
    expect(doc.comments[0].hunks).toHaveLength(5);
  });

  it('002 and 004 exit 1 with one line that says what the file is; nothing on stdout, no stack trace', async () => {
    const cover = await apfLab('patch', seedPath('002'));
    expect(cover.code).toBe(1);
    expect(cover.stdout).toBe('');
    expect(cover.stderr).toMatch(/^apf-lab: .*002_[0-9a-f]+\.txt: a series cover letter for 12 patches by Gleb Natapov: it carries only a diffstat \(27 files changed, 941 insertions\(\+\), 34 deletions\(-\)\), no hunks; give the patches of the series themselves\n$/);
    const notes = await apfLab('patch', seedPath('004'));
    expect(notes.code).toBe(1);
    expect(notes.stdout).toBe('');
    expect(notes.stderr).toMatch(/^apf-lab: .*004_[0-9a-f]+\.txt: notes \(Markdown text\) with no diff in it .*\n$/);
    for (const r of [cover, notes]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing file exits 1; no file, or an unknown option, exits 2 with usage', async () => {
    const missing = await apfLab('patch', 'no-such.patch');
    expect([missing.code, missing.stderr]).toEqual([1, 'apf-lab: no-such.patch: cannot read it (no such file)\n']);
    const none = await apfLab('patch');
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr.split('\n')[0]).toBe('apf-lab: name a patch file (a patch, a series, an mbox or a review page)');
    const bad = await apfLab('patch', seedPath('001'), '--frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('apf-lab: Unknown argument: --frobnicate');
    for (const r of [missing, none, bad]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the same file given twice is a usage error, not a series of two copies (exit 2)', async () => {
    const twice = await apfLab('patch', seedPath('001'), seedPath('001'));
    expect(twice.code).toBe(2);
    expect(twice.stdout).toBe('');
    expect(twice.stderr.split('\n')[0]).toMatch(/^apf-lab: .*001_[0-9a-f]+\.txt is given twice/);
  });

  it('the same input twice gives the same bytes', async () => {
    const [a, b] = await Promise.all([apfLab('patch', seedPath('003'), '--json'), apfLab('patch', seedPath('003'), '--json')]);
    expect(a.stdout).toBe(b.stdout);
  });

  it('a Date: with no zone is read as UTC: the same order, and the same bytes, in every time zone', async () => {
    // Bob (12:00 +0000) quotes Alice, whose reply (10:00, no zone) comes after his in the file.
    // Date.parse() read her date in the host's zone: 18:00 UTC in Los Angeles, after Bob.
    const bob = 'From x Mon Sep 17 00:00:00 2001\nFrom: Bob <b@x>\nDate: Fri, 15 Oct 2010 12:00:00 +0000\nSubject: Re: [PATCH 08/11] KVM\n\nOn Fri, Alice wrote:\n> I think the token should never be zero here.\n\nAgreed, a zero token looks like an empty slot.\n';
    const alice = 'From x Mon Sep 17 00:00:00 2001\nFrom: Alice <a@x>\nDate: Fri, 15 Oct 2010 10:00:00\nSubject: Re: [PATCH 08/11] KVM\n\nOn Thu, Gleb Natapov wrote:\n> +\tu32 token;\n\nI think the token should never be zero here.\n';
    const dir = mkdtempSync(join(tmpdir(), 'apf-patch-tz-'));
    try {
      const file = join(dir, 'tz.mbox');
      writeFileSync(file, `${readFileSync(seedPath('001'), 'utf8')}\n${bob}\n${alice}`);
      const inZone = async (tz: string, ...args: string[]) => (await promisify(execFile)(process.execPath, [BIN, 'patch', file, ...args], { env: { ...process.env, TZ: tz } })).stdout;
      const utc = await inZone('UTC');
      expect(utc).toContain("  #1 Bob, Fri, 15 Oct 2010 12:00:00 +0000, replying to #2 Alice\n    #2 Alice's comment\n");
      for (const tz of ['America/Los_Angeles', 'Asia/Tokyo']) expect(await inZone(tz)).toBe(utc);
      expect(await inZone('America/Los_Angeles', '--json')).toBe(await inZone('UTC', '--json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

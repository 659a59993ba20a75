import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPatchText } from '../../../core/patch/input.js';
import { readPatchFiles } from '../../../core/patch/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-patch-hunk-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function read(name: string, header: string): unknown {
  const p = join(dir, name);
  // A diffstat above the diff: a hunk that does not read must not make this a cover letter.
  writeFileSync(p, `Subject: [PATCH] x\n\n---\n 1 file changed, 1 insertion(+)\n\n--- a/x.c\n+++ b/x.c\n${header}\n a\n+b\n`);
  return readPatchFiles([p], readPatchText);
}

describe('a damaged hunk header is bad input naming its line', () => {
  it('letters for numbers: a malformed hunk header, not a cover letter', () => {
    expect(() => read('letters.patch', '@@ -a,b +c,d @@')).toThrow(/letters\.patch:8: malformed hunk header "@@ -a,b \+c,d @@"/);
  });

  it('no space or a tab after @@: malformed too, not a hunk silently dropped (hostile finding)', () => {
    expect(() => read('nospace.patch', '@@-1,1 +1,2 @@')).toThrow(/nospace\.patch:8: malformed hunk header "@@-1,1 \+1,2 @@"/);
    expect(() => read('tab.patch', '@@\t-1,1 +1,2 @@')).toThrow(/tab\.patch:8: malformed hunk header/);
  });

  it('a start past 2^53 − 1 is refused, not printed back rounded (-100000000000000000000)', () => {
    expect(() => read('huge-start.patch', '@@ -99999999999999999999,1 +1,2 @@')).toThrow(/huge-start\.patch:8: the hunk "@@ -99999999999999999999,1 \+1,2 @@" starts past any file's last line/);
    expect(() => read('huge-new-start.patch', '@@ -1,1 +9007199254740992,2 @@')).toThrow(/starts past any file's last line/);
  });

  it('the largest safe start is read as it is written', () => {
    expect(read('safe.patch', '@@ -9007199254740991,1 +1,2 @@')).toMatchObject({ messages: [{ files: [{ hunks: [{ header: '@@ -9007199254740991,1 +1,2 @@' }] }] }] });
  });
});

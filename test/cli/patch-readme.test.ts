import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';

/** The README's `apf-lab patch` example is real output, checked as test/cli/readme-output.test.ts checks the others. */
function block(after: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const i = readme.indexOf(after);
  expect(i, `README has ${after}`).toBeGreaterThanOrEqual(0);
  const start = readme.indexOf('```\n', i) + 4;
  return readme.slice(start, readme.indexOf('\n```', start));
}

describe('README: apf-lab patch', () => {
  it('patch ../shared/seeds/001_…', async () => {
    let text = '';
    const code = await runCli(['patch', '../shared/seeds/001_6353edcb13ca612d.txt'], { out: (t) => void (text += t), err: () => {} });
    expect(code).toBe(0);
    expect(block('`apf-lab patch ../shared/seeds/001_6353edcb13ca612d.txt`:')).toBe(text.replace(/\n$/, ''));
  });

  it('the seed 003 paragraph names the anchors the command prints', async () => {
    let text = '';
    await runCli(['patch', '../shared/seeds/003_c1d838179fb540db.txt'], { out: (t) => void (text += t), err: () => {} });
    const readme = readFileSync('README.md', 'utf8');
    const para = readme.slice(readme.indexOf('On seed 003 (the RFCv2 review page)'), readme.indexOf('### `apf-lab reproduce'));
    expect(text).toContain('Variant match: arm64-dabt (score 0.77)');
    expect(para).toContain('`arm64-dabt` (score 0.77');
    for (const anchor of ['arch/arm64/include/asm/kvm_para.h:19', 'arch/arm64/kernel/entry.S:757', 'arch/arm64/kernel/entry.S:791', 'arch/arm64/kernel/process.c:78', 'arch/arm64/mm/fault.c:835', 'arch/arm64/mm/fault.c:878', 'arch/arm64/mm/fault.c:896', 'arch/arm64/mm/fault.c:1212']) {
      expect(text).toContain(`    ${anchor}, hunk`);
    }
  });
});

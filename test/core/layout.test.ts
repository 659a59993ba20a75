import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md "Layout" and STYLE.md §1: core/ is arch-neutral. It imports nothing from arches/,
 * cli/ or templates/, never names an architecture's registers or ABI, and never branches on a
 * variant id.
 */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const core = files('core').map((f) => ({ f, text: readFileSync(f, 'utf8') }));

describe('core/ stays arch-neutral', () => {
  it('imports nothing from arches/, cli/ or templates/', () => {
    const bad = core.filter(({ text }) => /from ['"](\.\.\/)+(arches|cli|templates)\//.test(text)).map(({ f }) => f);
    expect(bad).toEqual([]);
  });

  it('never names a register or an architecture ABI', () => {
    const words = /\b(CR2|FAR|ESR|MSR|SMCCC|SDEI|PPI|VBAR|wrmsr|hvc|EPT)\b/;
    const bad = core.filter(({ text }) => words.test(text)).map(({ f, text }) => `${f}: ${text.match(words)![0]}`);
    expect(bad).toEqual([]);
  });

  it('never tests a variant id', () => {
    const bad = core.filter(({ text }) => /(variant|\.id)\s*===?\s*['"](x86|arm64|sync)/.test(text)).map(({ f }) => f);
    expect(bad).toEqual([]);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
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

/**
 * Each file of core/ answers one question and depends only on the ones below it, as KVM's and
 * Linux's files do: no import cycle, not even a type-only one (core/sim/machine.ts says how the
 * simulator's files reach the ones above them).
 */
describe('core/ imports form no cycle', () => {
  const graph = new Map(
    core.map(({ f, text }) => [
      normalize(f),
      [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) =>
        normalize(join(dirname(f), m[1].replace(/\.js$/, '.ts'))),
      ),
    ]),
  );

  it('reads the imports it checks', () => {
    expect(graph.get(normalize('core/sim/simulation.ts'))).toContain(normalize('core/sim/vcpu.ts'));
  });

  it('has no cycle, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') return void cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of [...graph.keys()].sort()) visit(f, []);
    expect(cycles).toEqual([]);
  });
});

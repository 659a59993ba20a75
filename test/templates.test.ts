import { describe, expect, it } from 'vitest';
import { renderText } from '../cli/render.js';
import { buildCompareView } from '../cli/views/compare.js';
import { compareVariants, syncX86Variant, x86Variant } from '../index.js';
import { freeExitsVariant, spinningScenario } from './support/free-exits.js';
import { smallScenario } from './support/scenarios.js';

// Handlebars compiles lazily: render every template here so a broken one fails in CI.
describe('templates', () => {
  it('compare renders a row per metric with one column per variant', () => {
    const c = compareVariants(smallScenario(), [syncX86Variant, x86Variant]);
    const text = renderText('compare', buildCompareView(c));
    const total = text.split('\n').find((l) => l.trimStart().startsWith('total'))!;
    expect(total.trim().split(/\s+/)).toHaveLength(3);
    expect(text).toContain('vs baseline (same arch)');
    expect(text).not.toMatch(/\[object Object\]|undefined/);
  });

  it('list renders variants and scenarios', () => {
    const text = renderText('list', {
      variants: [{ id: 'v', idWidth: 12, arch: 'a', title: 't', origin: 'o', mechanisms: [{ dimension: 'ack', mechanism: 'm' }] }],
      scenarios: [{ name: 's', lines: ['l1'] }],
    });
    expect(text).toContain('  v           t');
    expect(text).toContain('ack         m');
    expect(text).toContain('    l1');
  });

  it('refuses a view-model with a missing field (strict mode)', () => {
    const noTitle = { id: 'v', idWidth: 12, arch: 'a', origin: 'o', mechanisms: [] };
    expect(() => renderText('list', { variants: [noTitle], scenarios: [] })).toThrow(/"title" not defined/);
  });
});

describe('a run cut short', () => {
  // Where a run is cut short the output says so and does not claim the full duration.
  it('is named with where it stopped and what its figures cover', () => {
    const free = freeExitsVariant;
    const s = spinningScenario();
    const text = renderText('compare', buildCompareView(compareVariants(s, [free])));
    expect(text).toMatch(/Runs that stopped early:\n {2}free-exits: stopped at \d+ ns: .*; simulated .* of the 50\.000 ms window, and its figures cover only that/);
  });
});

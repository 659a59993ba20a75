import { describe, expect, it } from 'vitest';
import { BadInputError, baselineFor, findVariant, VARIANTS, variantsToCompare, type Variant } from '../../../index.js';

/**
 * A ratio "vs sync" is only meaningful against a baseline on the same architecture and costs
 * (DESIGN.md "The backend contract"): each architecture's no-APF baseline carries that
 * architecture's cost table, exit names, exit prices and knobs.
 */
const ctx = (v: Variant) => ({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes: 64 << 20 });
const apfVariants = VARIANTS.filter((v) => !v.baseline);
const arches = [...new Set(apfVariants.map((v) => v.arch))];

describe('no-APF baselines, one per architecture', () => {
  it('every architecture with an APF variant has a baseline, flagged and named sync-<arch>', () => {
    expect(arches).toEqual(expect.arrayContaining(['x86', 'arm64']));
    for (const arch of arches) {
      const base = baselineFor(arch);
      expect(base?.id).toBe(`sync-${arch}`);
      expect(base?.baseline).toBe(true);
      expect(base?.arch).toBe(arch);
    }
  });

  it.each(apfVariants.map((v) => [v.id, v] as const))("%s: its baseline has its architecture's costs, exits and knobs", (_id, v) => {
    const base = baselineFor(v.arch)!;
    expect(base.defaultCosts).toEqual(v.defaultCosts);
    expect(Object.keys(base.knobs).sort()).toEqual(Object.keys(v.knobs).sort());
    const b = base.createBackend(ctx(base));
    const a = v.createBackend(ctx(v));
    expect(b.arch).toBe(a.arch);
    expect(b.exitNames).toEqual(a.exitNames);
    expect(b.costs).toEqual(a.costs);
    expect(b.caps.irqOrder).toBe(a.caps.irqOrder);
  });

  it('bare `sync` is no single variant: a clear error naming the per-architecture ids', () => {
    expect(() => findVariant('sync')).toThrow(BadInputError);
    expect(() => findVariant('sync')).toThrow(/sync-x86 or sync-arm64/);
  });

  it('a comparison gets each architecture\'s baseline before its first variant; `sync` asks for them', () => {
    const ids = (vs: Variant[]) => vs.map((v) => v.id);
    expect(ids(variantsToCompare(['x86', 'arm64-sdei'], { baselines: true }))).toEqual(['sync-x86', 'x86', 'sync-arm64', 'arm64-sdei']);
    expect(ids(variantsToCompare(['x86', 'arm64-sdei'], { baselines: false }))).toEqual(['x86', 'arm64-sdei']);
    expect(ids(variantsToCompare(['arm64-sdei', 'sync'], { baselines: false }))).toEqual(['sync-arm64', 'arm64-sdei']);
    expect(ids(variantsToCompare(['x86', 'sync-x86'], { baselines: true }))).toEqual(['x86', 'sync-x86']);
    expect(ids(variantsToCompare(['sync'], { baselines: true }))).toEqual(['sync-x86', 'sync-arm64']);
  });
});

import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, compareVariants, loadScenario, syncVariant, x86Variant } from '../../index.js';
import { smallScenario } from '../support/scenarios.js';

// DESIGN.md "Engine": same scenario + seed ⇒ byte-identical results; another seed ⇒ other numbers.
describe('determinism', () => {
  const variants = [syncVariant, x86Variant, arm64SdeiVariant];

  it('gives byte-identical JSON for the same scenario and seed', () => {
    const a = JSON.stringify(compareVariants(smallScenario(), variants, { seed: 42 }));
    const b = JSON.stringify(compareVariants(smallScenario(), variants, { seed: 42 }));
    expect(a).toBe(b);
  });

  it('gives different numbers for a different seed', () => {
    const a = compareVariants(smallScenario(), variants, { seed: 1 });
    const b = compareVariants(smallScenario(), variants, { seed: 2 });
    for (let i = 0; i < variants.length; i++) {
      expect(a.variants[i].metrics.faultLatencyNs).not.toEqual(b.variants[i].metrics.faultLatencyNs);
    }
  });

  it('is byte-identical on the default scenario too', () => {
    const s = loadScenario();
    expect(JSON.stringify(compareVariants(s, variants))).toBe(JSON.stringify(compareVariants(loadScenario(), variants)));
  });
});

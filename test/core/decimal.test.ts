import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimal } from '../../core/decimal.js';

/** What decimal() stands in for (core/decimal.ts): the same text, without loading ICU. */
const icu = (x: number, min: number, max: number) => x.toLocaleString('en-US', { minimumFractionDigits: min, maximumFractionDigits: max });

describe('decimal(): toLocaleString("en-US") without ICU', () => {
  it('rounds half away from zero on the shortest decimal, as V8 does, not on the binary value as toFixed() does', () => {
    // 1.005 is 1.00499999999999989… in binary: toFixed(2) gives 1.00, toLocaleString 1.01.
    expect(decimal(1.005, 2, 2)).toBe('1.01');
    expect(decimal(2.5, 0, 0)).toBe('3');
    expect(decimal(-2.5, 0, 0)).toBe('-3');
    expect(decimal(999.9996, 0, 3)).toBe('1,000');
    expect(decimal(-0.001, 1, 1)).toBe('-0.0');
    expect(decimal(-0, 0, 3)).toBe('-0');
    expect(decimal(1234567.5, 0, 3)).toBe('1,234,567.5');
  });

  it('matches toLocaleString on whole numbers, decimals and ties, with any number of places', () => {
    const tie = fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 4 })).map(([n, p]) => (n + 0.5) / 10 ** p);
    const anyDouble = fc.double({ min: -1e22, max: 1e22, noNaN: true });
    const x = fc.oneof(fc.integer(), fc.maxSafeInteger(), tie, anyDouble, fc.constantFrom(0, -0, 1e-7, 5e-7, 1e21, Infinity, -Infinity, NaN));
    fc.assert(
      fc.property(x, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), (v, a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        expect(decimal(v, min, max)).toBe(icu(v, min, max));
      }),
      { numRuns: 10_000 },
    );
  });
});

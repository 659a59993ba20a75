import { describe, expect, it } from 'vitest';
import { roundTo, spread } from '../../core/spread.js';

describe('spread: the one summary over seeds that reproduce and sweep print', () => {
  it('rounds mean, min and max to the places asked', () => {
    expect(spread([1.12345, 1.17891, 1.15], 4)).toEqual({ mean: 1.1508, min: 1.1235, max: 1.1789 });
    expect(spread([2000.0004, 1000], 3)).toEqual({ mean: 1500, min: 1000, max: 2000 });
  });

  it('of one value is that value three times', () => {
    expect(spread([0.5], 3)).toEqual({ mean: 0.5, min: 0.5, max: 0.5 });
  });

  it('rounding twice changes nothing (a merged sweep re-summarises rounded figures)', () => {
    for (const x of [1.2345, 0.0015, 1234.5675, -2.5e-4]) expect(roundTo(roundTo(x, 3), 3)).toBe(roundTo(x, 3));
  });
});

import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/errors.js';
import { MAX_VALUES, parseValueSpec } from '../../../core/sweep/spec.js';

describe('parseValueSpec', () => {
  it('a..b:log:N spaces N values evenly in log, both ends exact, 6 significant digits between', () => {
    expect(parseValueSpec('50..10000:log:8')).toEqual([50, 106.583, 227.199, 484.313, 1032.39, 2200.71, 4691.17, 10000]);
    expect(parseValueSpec('1..1000:log:4')).toEqual([1, 10, 100, 1000]);
  });

  it('a..b:lin:N spaces N values evenly, without float noise', () => {
    expect(parseValueSpec('0.1..0.9:lin:5')).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    expect(parseValueSpec('-1..1:lin:3')).toEqual([-1, 0, 1]);
  });

  it('a..b counts the integers from a to b', () => {
    expect(parseValueSpec('1..8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseValueSpec('-2..0')).toEqual([-2, -1, 0]);
    expect(parseValueSpec('3..3')).toEqual([3]);
  });

  it('a,b,c lists numbers, booleans and words; one value fixes the field', () => {
    expect(parseValueSpec('1, 2.5,1e3')).toEqual([1, 2.5, 1000]);
    expect(parseValueSpec('none,voluntary,full')).toEqual(['none', 'voluntary', 'full']);
    expect(parseValueSpec('true,false')).toEqual([true, false]);
    expect(parseValueSpec('7')).toEqual([7]);
  });

  it.each([
    ['', /empty value spec/],
    ['10..1:log:3', /smaller to the larger/],
    ['0..10:log:3', /log range needs a start above 0/],
    ['1..10:log:1', /N of at least 2/],
    ['1..10:log', /needs N/],
    ['1..10:log:x', /needs N/],
    ['1..10:cubic:3', /unknown spacing "cubic"/],
    ['1.5..3', /counts whole numbers/],
    ['8..1', /runs backwards/],
    ['a..b', /range start "a" is not a finite number/],
    ['1,,2', /empty value/],
    ['1,2,1', /value 1 is given twice/],
    ['1x,2', /"1x" is not a number/],
    ['a b', /not a number or a plain word/],
    ['1e400', /not a finite number/],
    [`0..${MAX_VALUES}`, /more than the 10000/],
    ['1..2:lin:100000', /more than the 10000/],
    // Past the bound in another form: it said "needs N, a whole number of values" (hostile round).
    ['1..2:lin:1e308', /^1e308 values, more than the 10000 a parameter may take$/],
    ['1..1.000001:lin:50', /given twice \(after rounding/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseValueSpec(spec)).toThrow(message);
  });

  it.each([null, undefined, 7, ['1']])('refuses a spec that is not a string (%j) as bad input, naming the argument (hostile-test bug 13)', (spec) => {
    // It threw a TypeError from spec.trim().
    expect(() => parseValueSpec(spec as unknown as string)).toThrow(BadInputError);
    expect(() => parseValueSpec(spec as unknown as string)).toThrow(/^parseValueSpec: spec must be a string such as "1\.\.8" or "a,b,c", got (null|undefined|number|object)$/);
  });

  it('takes spaces around .., : and , (as a sweep records the spec without them)', () => {
    expect(parseValueSpec(' 100 .. 10000 : log : 3 ')).toEqual([100, 1000, 10000]);
    expect(parseValueSpec('1 .. 3')).toEqual([1, 2, 3]);
  });
});

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/io.js';
import { wholeFlag } from '../../cli/options.js';

// Every count flag (check, trace, sweep, reproduce) goes through cli/options.ts wholeFlag().
describe('wholeFlag', () => {
  it('takes digits, and groups of three separated by _ or , as --help prints them', () => {
    expect(wholeFlag('--n', '200000')).toBe(200_000);
    expect(wholeFlag('--n', '200_000')).toBe(200_000);
    expect(wholeFlag('--n', '200,000')).toBe(200_000);
    expect(wholeFlag('--n', '1,000,000', 2_000_000)).toBe(1_000_000);
  });

  it.each(['0', '-1', '1.5', '1e3', '0x10', '', ' 5', '1,5', '12,34', '1__000'])('refuses %j as a usage error naming the range', (text) => {
    expect(() => wholeFlag('--n', text, 2_000_000)).toThrow(new UsageError(`--n must be a whole number from 1 to 2,000,000, got ${JSON.stringify(text)}`));
  });

  it('says "of 1 or more" where there is no upper bound, and refuses what is past the safe integers', () => {
    expect(() => wholeFlag('--max-events', '0')).toThrow(new UsageError('--max-events must be a whole number of 1 or more, got "0"'));
    expect(() => wholeFlag('--max-events', '9007199254740993')).toThrow(new UsageError('--max-events must be at most 9,007,199,254,740,991, got "9007199254740993"'));
  });

  // They said "must be a whole number", which 2,000,001 and 1e308 are: the bound is what they break (hostile round).
  it.each(['2,000,001', '99999999999999999999', '1e308', '3.5e6'])('says %j is past the bound, in whatever form it is written', (text) => {
    expect(() => wholeFlag('--n', text, 2_000_000)).toThrow(new UsageError(`--n must be at most 2,000,000, got ${JSON.stringify(text)}`));
  });
});

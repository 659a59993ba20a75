import { describe, expect, it } from 'vitest';
import { findVariant } from '../../index.js';

describe('findVariant(): an unknown id', () => {
  it('lists the known ids', () => {
    expect(() => findVariant('x87')).toThrow(/^unknown variant "x87" \(known: sync-x86, .*arm64-s2\)$/);
  });

  it('names the id that differs only in case (ids are lower case)', () => {
    expect(() => findVariant('X86')).toThrow(/^unknown variant "X86" \(did you mean x86\? variant ids are case-sensitive\) \(known: /);
    expect(() => findVariant('ARM64-SDEI')).toThrow(/did you mean arm64-sdei\?/);
    expect(() => findVariant('x87')).not.toThrow(/did you mean/);
  });
});

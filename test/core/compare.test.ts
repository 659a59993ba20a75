import { describe, expect, it } from 'vitest';
import { BadInputError, compareVariants, loadScenario, x86Variant, type CompareOptions, type Variant } from '../../index.js';

describe('compareVariants refuses bad library input as BadInputError naming the argument (hostile-test bug 13)', () => {
  const s = { ...loadScenario('overcommit'), durationMs: 1 };
  const refuses = (f: () => unknown, message: string) => {
    expect(f).toThrow(BadInputError);
    expect(f).toThrow(message);
  };

  it('variants that are not an array of variants', () => {
    // null threw "Cannot read properties of null (reading 'map')".
    refuses(() => compareVariants(s, null as unknown as Variant[]), 'compareVariants: variants must be an array of variants (see VARIANTS), got null');
    refuses(() => compareVariants(s, x86Variant as unknown as Variant[]), 'compareVariants: variants must be an array of variants (see VARIANTS), got object');
    refuses(() => compareVariants(s, [x86Variant, 'x86' as unknown as Variant]), 'compareVariants: variants[1] is not a variant (see VARIANTS), got string');
  });

  it('options that are not an object', () => {
    refuses(() => compareVariants(s, [x86Variant], null as unknown as CompareOptions), 'compareVariants: options must be an object, got null');
  });
});

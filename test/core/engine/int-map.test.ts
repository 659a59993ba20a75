import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from '../../../core/engine/int-map.js';

/** Keys as the engine uses them: gfns, u32 tokens (with the vCPU id in the low bits), negative write ids; few, so that they collide. */
const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }).map((k) => ((k << 12) | 3) >>> 0), fc.constantFrom(0xfffff001, -1, -2, -0x40000000));
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({ kind: fc.constant('clear' as const) }),
);

describe('IntMap', () => {
  it('answers as a Map does after any sequence of sets, deletes and clears', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const m = new IntMap<number>(1);
        const ref = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            m.set(o.key, o.value);
            ref.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(m.delete(o.key)).toBe(ref.delete(o.key));
          } else {
            m.clear();
            ref.clear();
          }
          expect(m.size).toBe(ref.size);
        }
        for (const [k, v] of ref) expect(m.get(k)).toBe(v);
        const seen = new Map<number, number>();
        m.forEach((v, k) => seen.set(k, v));
        expect(new Map([...seen].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...ref].sort((a, b) => a[0] - b[0])));
        expect(m.keyList().sort((a, b) => a - b)).toEqual([...ref.keys()].sort((a, b) => a - b));
        for (let k = 0; k <= 40; k++) expect(m.has(k)).toBe(ref.has(k));
      }),
    );
  });
});

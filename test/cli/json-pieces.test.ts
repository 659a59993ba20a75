import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../cli/json-pieces.js';

/** JSON.stringify(value, null, 2), the text `apf-lab trace --json` printed whole before it went out in pieces. */
const whole = (value: object) => JSON.stringify(value, null, 2);
const joined = (value: Record<string, unknown>, key: string, block?: number) => [...jsonPieces(value, key, block)].join('');

describe('jsonPieces: JSON.stringify(value, null, 2) in pieces', () => {
  const event = (i: number) => ({ timeNs: i * 997, vcpu: i % 4, event: 'kvm_async_pf_ready', fields: i % 3 === 0 ? {} : { token: (i << 12) | i % 4, gva: 0x3a630000 + i } });

  it("is the trace capture's JSON byte for byte, for any count of events across the blocks", () => {
    for (const n of [0, 1, 2, 3, 4, 7, 8, 9, 100]) {
      for (const block of [1, 2, 3, 4, 4096]) {
        const capture = { scenario: 'a "quoted"\nscenario é', seed: 7, variant: 'x86', events: Array.from({ length: n }, (_, i) => event(i)), fromNs: 0, toNs: 1e9, cutAtMaxEvents: n > 8 };
        expect(joined(capture, 'events', block), `${n} events, blocks of ${block}`).toBe(whole(capture));
      }
    }
  });

  it('hands the array out a block at a time, in order: one piece per block, none holding the whole', () => {
    const events = Array.from({ length: 10 }, (_, i) => event(i));
    const pieces = [...jsonPieces({ variant: 'x86', events, toNs: 5 }, 'events', 3)];
    // The opening member, the array's opening, four blocks (3 + 3 + 3 + 1), its close, the next member, the close.
    expect(pieces).toHaveLength(1 + 1 + 4 + 1 + 1 + 1);
    const blocks = pieces.slice(2, 6);
    expect(blocks.map((b) => (b.match(/"timeNs"/g) ?? []).length)).toEqual([3, 3, 3, 1]);
    expect(blocks.map((b) => Number(/"timeNs": (\d+)/.exec(b)![1]))).toEqual([0, 3, 6, 9].map((i) => i * 997));
  });

  it('makes each block when it is taken (a generator), so the text is never held whole', () => {
    const events = Array.from({ length: 10 }, (_, i) => event(i));
    const it = jsonPieces({ events }, 'events', 2);
    expect(it.next().value).toBe('{\n  "events": [\n');
    expect(it.next().value).toBe(JSON.stringify(events.slice(0, 2), null, 2).slice(2, -2).replace(/^|\n/g, (m) => `${m}  `));
  });

  it('leaves out what JSON leaves out and writes what it writes: undefined and functions, NaN as null, toJSON, an empty object', () => {
    const value = { a: undefined, b: () => 1, c: NaN, d: { toJSON: () => 'D' }, events: [undefined, () => 1, Infinity, { x: undefined }], e: {}, f: [] };
    expect(joined(value, 'events', 2)).toBe(whole(value));
    expect(joined({}, 'events')).toBe(whole({}));
    expect(joined({ a: undefined }, 'events')).toBe(whole({ a: undefined }));
    // The key names no array: the member is written as JSON.stringify writes it.
    expect(joined({ events: { n: 1 } }, 'events')).toBe(whole({ events: { n: 1 } }));
  });

  it('is JSON.stringify for any JSON value under the key and beside it (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue(), { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), (rest, events, block) => {
        const value = { ...rest, events };
        expect(joined(value, 'events', block)).toBe(whole(value));
      }),
    );
  });

  it('refuses a block that is not a whole number above 0', () => {
    expect(() => [...jsonPieces({}, 'events', 0)]).toThrow(/block must be a whole number above 0, got 0/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, type PoppedEvent } from '../../../index.js';

describe('EventQueue', () => {
  it('pops in (time, insertion order): equal times never reorder', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 300 }), (times) => {
        const q = new EventQueue(2);
        times.forEach((t, i) => q.push(t, 0, i, 0));
        const out: [number, number][] = [];
        const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
        while (q.size > 0) {
          q.pop(ev);
          out.push([ev.time, ev.a]);
        }
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('interleaved pushes and pops give each popped event its own payload, earliest first', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }), { maxLength: 400 }), (ops) => interleave(ops, 1)));
  });

  it('keeps the order over a wide span of times, pushes before the last pop among them', () => {
    // Times on a coarse grid (whole milliseconds over 60 ms, and a few nanoseconds off them), so
    // that equal times queued far apart in sequence are common, and a push may come before the
    // last event popped (the queue does not assume that time only moves on).
    const time = fc
      .tuple(fc.integer({ min: 0, max: 60 }), fc.constantFrom(0, 1, 4095, 4096, 4097))
      .map(([ms, ns]) => ms * 1_000_000 + ns);
    fc.assert(fc.property(fc.array(fc.option(time, { nil: null, freq: 3 }), { maxLength: 500 }), (ops) => interleave(ops, 4)), { numRuns: 300 });
  });

  it('an event queued before a pop goes before one queued after it for the same time', () => {
    const q = new EventQueue();
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    q.push(20_000_000, 0, 1, 0);
    q.push(5_000_000, 0, 2, 0);
    q.pop(ev);
    q.push(20_000_000, 0, 3, 0);
    const order: number[] = [];
    while (q.size > 0) {
      q.pop(ev);
      order.push(ev.a);
    }
    expect(order).toEqual([1, 3]);
  });

  it('events pushed in order (the lane) interleave with the rest in (time, insertion) order', () => {
    // Ticks: each lane push a period after the previous one's time, sometimes earlier (out of
    // order, which takes push()'s way); the other pushes anywhere, as steps and reads are.
    const op = fc.oneof(
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 40 }).map((t) => ({ lane: false, t })), weight: 2 },
      { arbitrary: fc.integer({ min: -3, max: 6 }).map((step) => ({ lane: true, t: step })), weight: 2 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new EventQueue(2);
        const pending: { time: number; seq: number }[] = [];
        const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
        let laneTime = 0;
        let seq = 0;
        for (const o of ops) {
          if (o === null) {
            if (q.size === 0) continue;
            q.pop(ev);
            pending.sort((x, y) => x.time - y.time || x.seq - y.seq);
            const want = pending.shift()!;
            expect([ev.time, ev.a]).toEqual([want.time, want.seq]);
            continue;
          }
          const time = o.lane ? (laneTime = Math.max(0, laneTime + o.t)) : o.t;
          if (o.lane) q.pushInOrder(time, 1, seq, 0);
          else q.push(time, 0, seq, 0);
          pending.push({ time, seq: seq++ });
          expect(q.size).toBe(pending.length);
          expect(q.peekTime()).toBe(Math.min(...pending.map((p) => p.time)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a lane that wraps round its ring and then grows keeps its order', () => {
    const q = new EventQueue();
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    const popped: number[] = [];
    for (let i = 0; i < 50; i++) q.pushInOrder(i, 0, i, 0);
    for (let i = 0; i < 40; i++) popped.push((q.pop(ev), ev.a));
    for (let i = 50; i < 250; i++) q.pushInOrder(i, 0, i, 0);
    while (q.size > 0) popped.push((q.pop(ev), ev.a));
    expect(popped).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('refuses a time that is not a non-negative integer of nanoseconds', () => {
    const q = new EventQueue();
    expect(() => q.push(1.5, 0, 0, 0)).toThrow(RangeError);
    expect(() => q.push(-1, 0, 0, 0)).toThrow(RangeError);
  });
});

/**
 * Pushes (a time) and pops (null) against a sorted list: each popped event is the earliest, queued
 * first among equal times, with its own payload; the size and the earliest time agree throughout.
 */
function interleave(ops: readonly (number | null)[], capacity: number): void {
  const q = new EventQueue(capacity);
  const pending: { time: number; seq: number }[] = [];
  const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
  let seq = 0;
  for (const op of ops) {
    if (op === null) {
      if (q.size === 0) continue;
      q.pop(ev);
      pending.sort((x, y) => x.time - y.time || x.seq - y.seq);
      const want = pending.shift()!;
      expect([ev.time, ev.kind, ev.a, ev.b]).toEqual([want.time, want.seq % 7, want.seq, 1000 - want.seq]);
    } else {
      q.push(op, seq % 7, seq, 1000 - seq);
      pending.push({ time: op, seq: seq++ });
    }
    expect(q.size).toBe(pending.length);
    if (q.size > 0) expect(q.peekTime()).toBe(Math.min(...pending.map((p) => p.time)));
  }
}

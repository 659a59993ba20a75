import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../index.js';
import { DeadlineTree } from '../../../core/guest/deadline-tree.js';
import { Task } from '../../../core/guest/task.js';

const task = (id: number, vruntime: number, deadline: number) => {
  const t = new Task(id, `t${id}`, 't', 0, [{ kind: 'sleep', ns: 1 }], new RandomStreams(1).stream('t'));
  t.vruntime = vruntime;
  t.deadline = deadline;
  return t;
};

/** The tree answers as a scan of its tasks would (pick_eevdf() by brute force). */
describe('DeadlineTree: the augmented tree of EEVDF', () => {
  it('keeps (deadline, queued) order, the least vruntime, and finds the earliest eligible deadline', () => {
    const op = fc.oneof(
      fc.record({ add: fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 10 })) }),
      fc.record({ drop: fc.nat() }),
      fc.record({ pick: fc.integer({ min: -25, max: 25 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const tree = new DeadlineTree();
        const queued: { t: Task; seq: number }[] = [];
        let seq = 0;
        for (const o of ops) {
          if ('add' in o) {
            const t = task(seq, o.add[0], o.add[1]);
            tree.insert(t, seq);
            queued.push({ t, seq: seq++ });
          } else if ('drop' in o) {
            if (queued.length === 0) continue;
            const [gone] = queued.splice(o.drop % queued.length, 1);
            tree.remove(gone.t);
          } else {
            const want = queued
              .filter((q) => q.t.vruntime <= o.pick)
              .sort((a, b) => a.t.deadline - b.t.deadline || a.seq - b.seq)[0]?.t;
            expect(tree.earliestEligible((v) => v <= o.pick)).toBe(want);
          }
          const order = [...queued].sort((a, b) => a.t.deadline - b.t.deadline || a.seq - b.seq).map((q) => q.t);
          expect(tree.inOrder()).toEqual(order);
          expect(tree.size).toBe(queued.length);
          expect(tree.leftmostVruntime).toBe(Math.min(...queued.map((q) => q.t.vruntime)));
        }
      }),
      { numRuns: 200 },
    );
  });
});

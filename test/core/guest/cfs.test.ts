import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../index.js';
import { CfsRunQueue } from '../../../core/guest/cfs.js';
import { Task } from '../../../core/guest/task.js';

const task = (id: number, vruntime: number) => {
  const t = new Task(id, `t${id}`, 't', 0, [{ kind: 'sleep', ns: 1 }], new RandomStreams(1).stream(`t${id}`));
  t.vruntime = vruntime;
  return t;
};

/** CFS place_entity() with GENTLE_FAIR_SLEEPERS, and update_min_vruntime() (kernel/sched/fair.c, before EEVDF). */
describe('CfsRunQueue: sleeper placement', () => {
  const params = { sliceNs: 3_000_000, wakeupGranularityNs: 1_000_000, latencyNs: 6_000_000 };

  it('a sleeper keeps its lag when it slept less than half the latency', () => {
    const rq = new CfsRunQueue(params);
    const sleeper = task(1, 10_000_000);
    // The other task ran 2 ms while it slept: min_vruntime (it, up to now) is 12 ms.
    rq.enqueueWoken(sleeper, 12_000_000);
    expect(sleeper.vruntime).toBe(10_000_000);
  });

  it('a long sleep earns at most half the latency of credit, counted from the running task: update_min_vruntime() includes curr', () => {
    const rq = new CfsRunQueue(params);
    const sleeper = task(1, 10_000_000);
    // The running task's vruntime went from 10 to 30 ms during the sleep; the queue itself is empty.
    rq.enqueueWoken(sleeper, 30_000_000);
    expect(sleeper.vruntime).toBe(27_000_000);
    expect(rq.minVruntime).toBe(30_000_000);
  });

  it('with no task running, the queued tasks set the floor', () => {
    const rq = new CfsRunQueue(params);
    rq.enqueue(task(2, 50_000_000));
    const sleeper = task(1, 10_000_000);
    rq.enqueueWoken(sleeper, null);
    expect(sleeper.vruntime).toBe(47_000_000);
  });

  it('the floor never goes back', () => {
    const rq = new CfsRunQueue(params);
    rq.minVruntime = 40_000_000;
    const sleeper = task(1, 10_000_000);
    rq.enqueueWoken(sleeper, 20_000_000);
    expect(sleeper.vruntime).toBe(37_000_000);
  });
});

/** The run queue as a plain array scanned at each pick: the reference the heap must agree with. */
class ScannedRunQueue {
  readonly tasks: Task[] = [];
  minVruntime = 0;
  /** cfs_tasks' order: a wake, a fork or a pick makes a task the most recently used. */
  private used = 0;
  constructor(private readonly latencyNs: number) {}
  private floor(cur: number | null): void {
    let f = cur ?? Infinity;
    for (const x of this.tasks) if (x.vruntime < f) f = x.vruntime;
    if (f !== Infinity) this.minVruntime = Math.max(this.minVruntime, f);
  }
  enqueueWoken(t: Task, cur: number | null): void {
    t.lru = ++this.used;
    this.floor(cur);
    t.vruntime = Math.max(t.vruntime, this.minVruntime - this.latencyNs / 2);
    this.tasks.push(t);
  }
  enqueueNew(t: Task, cur: number | null): void {
    t.lru = ++this.used;
    this.floor(cur);
    t.vruntime = Math.max(t.vruntime, this.minVruntime);
    this.tasks.push(t);
  }
  pickNext(): Task | undefined {
    if (this.tasks.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.tasks.length; i++) if (this.tasks[i].vruntime < this.tasks[best].vruntime) best = i;
    const [t] = this.tasks.splice(best, 1);
    t.lru = ++this.used;
    this.minVruntime = Math.max(this.minVruntime, t.vruntime);
    return t;
  }
  /** The least recently used that may move; of equals, the first queued. */
  detach(movable: (t: Task) => boolean): Task | undefined {
    let oldest = -1;
    for (let i = 0; i < this.tasks.length; i++) if (movable(this.tasks[i]) && (oldest < 0 || this.tasks[i].lru < this.tasks[oldest].lru)) oldest = i;
    if (oldest < 0) return undefined;
    const [t] = this.tasks.splice(oldest, 1);
    t.vruntime -= this.minVruntime;
    return t;
  }
}

describe('CfsRunQueue: a heap that picks as a scan of the queue would', () => {
  const params = { sliceNs: 3_000_000, wakeupGranularityNs: 1_000_000, latencyNs: 6_000_001 };
  const op = fc.oneof(
    fc.record({ kind: fc.constantFrom('enqueue' as const, 'woken' as const, 'new' as const), vruntime: fc.integer({ min: 0, max: 8 }).map((x) => x * 1_000_000), cur: fc.option(fc.integer({ min: 0, max: 20_000_000 })) }),
    fc.record({ kind: fc.constant('pick' as const) }),
    fc.record({ kind: fc.constant('detach' as const), odd: fc.boolean() }),
  );

  it('same task, same vruntimes and floor after any sequence of enqueues, wakes, picks and migrations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new CfsRunQueue(params);
        const ref = new ScannedRunQueue(params.latencyNs);
        // Each task exists twice, one per queue, with the same id: the two are compared by id and vruntime.
        let id = 0;
        const picked = (a: Task | undefined, b: Task | undefined) => {
          expect(a?.id).toBe(b?.id);
          expect(a?.vruntime).toBe(b?.vruntime);
        };
        for (const o of ops) {
          if (o.kind === 'pick') picked(heap.pickNext(), ref.pickNext());
          else if (o.kind === 'detach') {
            const movable = (t: Task) => t.id % 2 === (o.odd ? 1 : 0);
            picked(heap.detachForMigration(movable), ref.detach(movable));
          } else {
            const a = task(id, o.vruntime);
            const b = task(id++, o.vruntime);
            // Some pinned, for the count of those the balancer may move.
            a.pinned = b.pinned = a.id % 3 === 0;
            if (o.kind === 'enqueue') {
              heap.enqueue(a);
              ref.tasks.push(b);
            } else if (o.kind === 'woken') {
              heap.enqueueWoken(a, o.cur);
              ref.enqueueWoken(b, o.cur);
            } else {
              heap.enqueueNew(a, o.cur);
              ref.enqueueNew(b, o.cur);
            }
          }
          expect(heap.length).toBe(ref.tasks.length);
          expect(heap.unpinned).toBe(ref.tasks.filter((t) => !t.pinned).length);
          expect(heap.minVruntime).toBe(ref.minVruntime);
        }
        while (ref.tasks.length > 0) picked(heap.pickNext(), ref.pickNext());
      }),
    );
  });
});

/** check_preempt_tick() in kernel/sched/fair.c before EEVDF: `if (delta_exec > ideal_runtime) resched_curr()`. */
describe('CfsRunQueue: the tick preempts a task that ran more than its slice', () => {
  const params = { sliceNs: 4_000_000, wakeupGranularityNs: 3_000_000, latencyNs: 18_000_000 };

  it('more than the slice, not the slice itself, and only with another task waiting', () => {
    const rq = new CfsRunQueue(params);
    expect(rq.tickPreempts(10_000_000)).toBe(false); // nobody waits
    rq.enqueue(task(2, 0));
    expect(rq.tickPreempts(4_000_000)).toBe(false);
    expect(rq.tickPreempts(4_000_001)).toBe(true);
  });
});

describe('idle balancing next to a queue of pinned tasks (hostile round S)', () => {
  it('does not scan a queue whose every task is pinned: nothing there may move', async () => {
    // 49,999 pinned tasks were scanned whole each time the other vCPU went idle: 55-80 µs an event.
    const { findVariant, runVariant, scenarioSchema } = await import('../../../index.js');
    const { vi } = await import('vitest');
    const s = scenarioSchema.parse({
      name: 'pinned-queue',
      durationMs: 2,
      machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
      regions: [{ name: 'a', mib: 1 }],
      tasks: [
        { name: 'hog', count: 500, vcpu: 0, program: [{ compute: { us: 1_000_000 } }] },
        { name: 'sleeper', vcpu: 1, program: [{ sleep: { us: 1 } }, { compute: { us: 0.001 } }] },
      ],
    });
    const scans = vi.spyOn(CfsRunQueue.prototype, 'detachForMigration');
    try {
      const r = runVariant(s, findVariant('x86'));
      expect(r.metrics.migrations).toBe(0);
      expect(scans).not.toHaveBeenCalled();
    } finally {
      scans.mockRestore();
    }
  });
});

describe('CfsRunQueue.detachAll (hostile round T)', () => {
  it('takes every task in pick order, oldest first of equals, each relative to the floor', () => {
    // A CPU going down detached its tasks one by one, each a scan of the queue: 50,000 took 2.2 s.
    const params = { sliceNs: 3_000_000, wakeupGranularityNs: 1_000_000, latencyNs: 6_000_000 };
    fc.assert(
      fc.property(fc.array(fc.record({ v: fc.integer({ min: 0, max: 9 }), pick: fc.boolean() }), { maxLength: 60 }), (ops) => {
        const [a, b] = [new CfsRunQueue(params), new CfsRunQueue(params)];
        ops.forEach((o, id) => {
          a.enqueueWoken(task(id, o.v * 1_000_000), null);
          b.enqueueWoken(task(id, o.v * 1_000_000), null);
          if (o.pick) {
            a.pickNext();
            b.pickNext();
          }
        });
        // The order b would run them in, each made relative to the floor b had before it ran them.
        const floor = b.minVruntime;
        const one: Task[] = [];
        for (let t = b.pickNext(); t !== undefined; t = b.pickNext()) one.push(t);
        const all = a.detachAll();
        expect(all.map((t) => [t.id, t.vruntime])).toEqual(one.map((t) => [t.id, t.vruntime - floor]));
        expect([a.length, a.unpinned]).toEqual([0, 0]);
      }),
    );
  });
});

describe('idle balancing past a busiest queue of pinned tasks (hostile round U)', () => {
  it('looks at the next busiest, as load_balance() does with LBF_ALL_PINNED: no vCPU idles beside two tasks sharing one', async () => {
    const { findVariant, runVariant, scenarioSchema } = await import('../../../index.js');
    const s = scenarioSchema.parse({
      name: 'all-pinned-busiest',
      durationMs: 100,
      machine: { vcpus: 3, guestMemoryMiB: 64, hostResidentMiB: 64 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
      regions: [{ name: 'a', mib: 1 }],
      tasks: [
        { name: 'pinned', count: 3, vcpu: 0, program: [{ compute: { us: 1000 } }] },
        { name: 's0', passes: 1, program: [{ compute: { us: 1 } }] },
        { name: 'long1', program: [{ compute: { us: 1000 } }] },
        { name: 's2', passes: 1, program: [{ compute: { us: 1 } }] },
        { name: 's3', passes: 1, program: [{ compute: { us: 1 } }] },
        { name: 'long2', program: [{ compute: { us: 1000 } }] },
      ],
    });
    const m = runVariant(s, findVariant('sync-x86')).metrics;
    // vCPU 2 was idle for 99.99 ms of the 100 while long1 and long2 shared vCPU 1.
    expect(m.vcpuTimeNs.idle).toBeLessThan(1_000_000);
    expect(m.workByTask.long2).toBeGreaterThan(90_000);
  });
});

describe('CfsRunQueue.detachForMigration: the least recently used task (hostile round X)', () => {
  // kernel/sched/fair.c: cfs_tasks is most recently used first (a wake adds at the head,
  // pick_next_task_fair() moves the picked task there) and detach_tasks() takes from the tail.
  const params = { sliceNs: 3_000_000, wakeupGranularityNs: 1_000_000, latencyNs: 6_000_000 };
  it('takes the task that waited longest, not the one just preempted', () => {
    const rq = new CfsRunQueue(params);
    const [a, b, c] = [task(1, 0), task(2, 0), task(3, 0)];
    rq.enqueueWoken(a);
    rq.enqueueWoken(b);
    rq.enqueueWoken(c);
    const ran = rq.pickNext()!; // a runs, is preempted and queued again
    expect(ran.id).toBe(1);
    rq.enqueue(ran);
    expect(rq.detachForMigration(() => true)!.id).toBe(2);
    expect(rq.detachForMigration(() => true)!.id).toBe(3);
    expect(rq.detachForMigration((t) => t.id !== 1)).toBeUndefined();
  });
});

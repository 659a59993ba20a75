/**
 * EEVDF as Linux 6.12's kernel/sched/fair.c has it (core/guest/eevdf.ts), one rule a test, each
 * checked against the kernel's behaviour with numbers worked by hand. Weights are all nice 0, so
 * that calc_delta_fair() is the identity and V is the plain mean of the vruntimes.
 */
import { describe, expect, it } from 'vitest';
import { RandomStreams, findVariant, runVariant, scenarioSchema } from '../../../index.js';
import { EevdfRunQueue } from '../../../core/guest/eevdf.js';
import { Task } from '../../../core/guest/task.js';

const MS = 1_000_000;
/** A 4-vCPU guest's base slice (0.7 ms × 3) and HZ 250's tick. */
const params = { sliceNs: 2_100_000, tickNs: 4 * MS };

function task(id: number, vruntime: number, deadline: number): Task {
  const t = new Task(id, `t${id}`, 't', 0, [{ kind: 'sleep', ns: 1 }], new RandomStreams(1).stream(`t${id}`));
  t.vruntime = vruntime;
  t.deadline = deadline;
  return t;
}

describe('EevdfRunQueue: pick_eevdf()', () => {
  it('runs the eligible task with the earliest deadline, not the least vruntime nor an ineligible earlier deadline', () => {
    const rq = new EevdfRunQueue(0, params);
    const least = task(1, 0, 5 * MS);
    const pick = task(2, 1 * MS, 2 * MS);
    const ahead = task(3, 10 * MS, 1 * MS); // V = 11/3 ms: 10 ms is not eligible
    for (const t of [least, pick, ahead]) rq.enqueue(t);
    expect(rq.pickNext()).toBe(pick);
    // Of the two left, V = 5 ms: only the 0 ms one is eligible.
    expect(rq.pickNext()).toBe(least);
    expect(rq.pickNext()).toBe(ahead);
    expect(rq.pickNext()).toBeUndefined();
  });

  it('of equal deadlines, the one queued first (the rbtree puts an equal key after those there)', () => {
    const rq = new EevdfRunQueue(0, params);
    const [a, b] = [task(1, 0, 3 * MS), task(2, 0, 3 * MS)];
    rq.enqueue(b);
    rq.enqueue(a);
    expect(rq.pickNext()).toBe(b);
  });

  it('keeps the running task while it is eligible and inside the slice it was picked with (RUN_TO_PARITY), not after', () => {
    const rq = new EevdfRunQueue(0, params);
    const cur = task(1, 0, 2 * MS);
    rq.enqueue(cur);
    expect(rq.pickNext()).toBe(cur);
    const other = task(2, 1 * MS, 1_500_000); // an earlier deadline, and eligible
    rq.enqueue(other);
    expect(rq.keepsCurrent(cur, 500_000)).toBe(true);
    // At its deadline update_deadline() renews it (2.1 ms on): the protection is gone, and `other` is the pick.
    expect(rq.keepsCurrent(cur, 2 * MS)).toBe(false);
    expect(cur.deadline).toBe(4_100_000);
  });
});

describe('EevdfRunQueue: update_curr() at the tick', () => {
  it('renews a used-up request (deadline = vruntime + slice) and reschedules only with another task queued', () => {
    const rq = new EevdfRunQueue(0, params);
    const cur = task(1, 0, 2_100_000);
    expect(rq.tickPreempts(0, cur, 2 * MS)).toBe(false);
    expect(rq.tickPreempts(0, cur, 4 * MS)).toBe(false); // alone: nr_running == 1
    expect(cur.deadline).toBe(6_100_000);
    cur.pickedDeadline = cur.deadline; // picked again with that request: protected
    rq.enqueue(task(2, 4 * MS, 6 * MS));
    expect(rq.tickPreempts(0, cur, 5 * MS)).toBe(false); // inside its request
    expect(rq.tickPreempts(0, cur, 6_100_000)).toBe(true);
    expect(cur.deadline).toBe(8_200_000);
  });

  it('reschedules a task neither protected nor eligible before its deadline (did_preempt_short(), PREEMPT_SHORT)', () => {
    const rq = new EevdfRunQueue(0, params);
    const cur = task(1, 0, 2_100_000);
    rq.enqueue(cur);
    rq.pickNext();
    rq.enqueue(task(2, 2_500_000, 4_600_000));
    // At 2.1 ms its request is renewed (4.2 ms) and, V being 2.3 ms, it is still eligible: it stays.
    expect(rq.keepsCurrent(cur, 2_100_000)).toBe(true);
    expect(rq.tickPreempts(0, cur, 2_200_000)).toBe(false);
    // At 2.6 ms, V of {2.5, 2.6} is 2.55 ms: no longer eligible and unprotected, it yields before 4.2 ms.
    expect(rq.tickPreempts(0, cur, 2_600_000)).toBe(true);
    expect(cur.deadline).toBe(4_200_000);
  });
});

describe('EevdfRunQueue: lag (update_entity_lag(), place_entity() with PLACE_LAG)', () => {
  it('a sleeper leaves with V − vruntime and wakes at V less its lag × (n + 1) / n, a full request to its deadline', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 12 * MS, 14 * MS));
    const sleeper = task(1, 8 * MS, 9 * MS);
    rq.dequeueSleep(sleeper); // V of {12, 8} = 10 ms: lag +2 ms
    expect(sleeper.vlag).toBe(2 * MS);
    // It wakes with the running task at 12 ms beside the queued one at 12 ms: V = 12 ms, n = 2.
    rq.enqueueWoken(sleeper, 12 * MS);
    expect(sleeper.vruntime).toBe(9 * MS);
    expect(sleeper.deadline).toBe(11_100_000);
  });

  it('the lag is bounded by max(2 slices, a tick): 4.2 ms here, however long the others ran', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 100 * MS, 101 * MS));
    const sleeper = task(1, 0, 1 * MS);
    rq.dequeueSleep(sleeper);
    expect(sleeper.vlag).toBe(4_200_000);
  });

  it('a new task starts at V, half a request from its deadline (PLACE_DEADLINE_INITIAL)', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 6 * MS, 8 * MS));
    const born = task(1, 0, 0);
    born.vlag = 3 * MS; // a new entity has none, whatever the field held
    rq.enqueueNew(born, 10 * MS);
    expect(born.vruntime).toBe(8 * MS);
    expect(born.deadline).toBe(9_050_000);
  });

  it('a migrated task keeps its lag and its deadline relative to its vruntime (PLACE_REL_DEADLINE)', () => {
    const [from, to] = [new EevdfRunQueue(0, params), new EevdfRunQueue(1, params)];
    const moved = task(1, 4 * MS, 5 * MS);
    from.enqueue(moved);
    from.enqueue(task(2, 8 * MS, 10 * MS));
    expect(from.detachForMigration((t) => t === moved)).toBe(moved);
    expect([moved.vlag, moved.deadline]).toEqual([2 * MS, 1 * MS]); // V was 6 ms; 1 ms to its deadline
    to.enqueue(task(3, 50 * MS, 52 * MS));
    to.attachMigrated(moved, null);
    // V = 50 ms, n = 1: lag 2 ms × 2 = 4 ms.
    expect([moved.vruntime, moved.deadline]).toEqual([46 * MS, 47 * MS]);
  });
});

describe('EevdfRunQueue: DELAY_DEQUEUE and DELAY_ZERO', () => {
  it('a sleeper that is not eligible keeps its vruntime and deadline, and wakes in place while it still is not', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 2 * MS, 4 * MS));
    const sleeper = task(1, 6 * MS, 7 * MS); // V of {2, 6} = 4 ms: not eligible
    rq.dequeueSleep(sleeper);
    expect(sleeper.delayedOn).toBe(0);
    // With a task running at 5 ms: V of {2, 6, 5} = 4.33 ms, still short of 6 ms.
    expect(rq.wakesInPlace(sleeper, 5 * MS)).toBe(true);
    rq.enqueueWoken(sleeper, 5 * MS);
    expect([sleeper.vruntime, sleeper.deadline, sleeper.delayedOn]).toEqual([6 * MS, 7 * MS, -1]);
  });

  it('once the others caught up it had left with lag 0: it wakes at V with a fresh request', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 2 * MS, 4 * MS));
    const sleeper = task(1, 6 * MS, 7 * MS);
    rq.dequeueSleep(sleeper);
    // With a task running at 12 ms: V of {2, 6, 12} = 6.67 ms, past it.
    expect(rq.wakesInPlace(sleeper, 12 * MS)).toBe(false);
    rq.enqueueWoken(sleeper, 12 * MS);
    // At V of {2 queued, 12 running} = 7 ms, a full request on.
    expect([sleeper.vruntime, sleeper.deadline]).toEqual([7 * MS, 9_100_000]);
  });
});

describe('EevdfRunQueue: check_preempt_wakeup_fair()', () => {
  it('a woken task preempts where it is now the pick, not while the running task is protected', () => {
    const rq = new EevdfRunQueue(0, params);
    const cur = task(1, 0, 2_100_000);
    rq.enqueue(cur);
    expect(rq.pickNext()).toBe(cur);
    rq.enqueue(task(3, 3 * MS, 10 * MS));
    // It ran 0.5 ms. The woken task's lag of 1.2 ms, × 3/2, puts it 1.8 ms before V = 1.75 ms.
    const woken = task(2, 0, 0);
    woken.vlag = 1_200_000;
    rq.enqueueWoken(woken, 500_000);
    expect([woken.vruntime, woken.deadline]).toEqual([-50_000, 2_050_000]);
    // V is now 1.15 ms: the running task (0.5 ms) is eligible and inside its slice (RUN_TO_PARITY).
    expect(rq.wakeupPreempts(woken, 500_000, cur)).toBe(false);
    cur.pickedDeadline = -1; // a request renewed since the pick
    expect(rq.wakeupPreempts(woken, 500_000, cur)).toBe(true);
  });

  it("update_curr() runs before the woken task is counted (enqueue_entity()): its lag alone does not make the running task ineligible", () => {
    // An audit's case: the running task A (10 ms, unprotected), Y (8 ms, deadline 9.5 ms) and
    // Z (13 ms) queued: V = 31/3 ms, A eligible. W wakes with a lag of 2 ms, placed at
    // V − 2 × 4/3 = 7.67 ms, deadline 9.77 ms; counted, V = 9.67 ms and A is not eligible.
    const rq = new EevdfRunQueue(0, params);
    const y = task(2, 8 * MS, 9.5 * MS);
    rq.enqueue(y);
    rq.enqueue(task(3, 13 * MS, 15 * MS));
    const a = task(1, 10 * MS, 11 * MS);
    a.pickedDeadline = 9 * MS;
    const w = task(4, 0, 0);
    w.vlag = 2 * MS;
    rq.enqueueWoken(w, 10 * MS);
    expect(w.vruntime).toBe(7_666_667);
    // Linux: update_curr() at the enqueue sees A eligible (no resched), and pick_eevdf() gives Y,
    // not W: A runs on to the tick. (The lab rescheduled at once, and Y ran.)
    expect(rq.wakeupPreempts(w, 10 * MS, a)).toBe(false);
    // Counted all along (a delayed task requeued in place), the same update_curr() reschedules.
    expect(rq.wakeupPreempts(w, 10 * MS, a, true)).toBe(true);
  });
});

describe('EEVDF in a run: turns of CPU hogs', () => {
  // Two hogs on one vCPU at HZ 250: the 0.7 ms request is used up long before the tick, which
  // reschedules: 4 ms turns, about 250 switches a second. CFS gave 8 ms turns (a slice of one tick
  // period is passed only at the second tick, `delta_exec > ideal_runtime`).
  const hogs = (scheduler: 'eevdf' | 'cfs') =>
    scenarioSchema.parse({
      name: 'hogs',
      durationMs: 1000,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64, scheduler },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 }, queueDepth: 1 },
      regions: [{ name: 'r', mib: 1 }],
      tasks: [{ name: 'hog', count: 2, program: [{ compute: { us: 100000 } }] }],
      drain: { enabled: false },
    });

  it('switch at every tick under eevdf, at every other under cfs', () => {
    const switches = (s: 'eevdf' | 'cfs') => runVariant(hogs(s), findVariant('x86')).metrics.contextSwitches;
    expect(switches('eevdf')).toBeGreaterThanOrEqual(248);
    expect(switches('eevdf')).toBeLessThanOrEqual(251);
    expect(switches('cfs')).toBeGreaterThanOrEqual(124);
    expect(switches('cfs')).toBeLessThanOrEqual(126);
  });
});

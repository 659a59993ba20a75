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

describe('EevdfRunQueue: DELAY_DEQUEUE and DELAY_ZERO (6.12: the delayed sleeper stays in the tree)', () => {
  /** A queue with A (2 ms, deadline 10 ms) and S, gone to sleep at 6 ms (deadline 7 ms): V of {2, 6} = 4 ms, S not eligible. */
  function delayed(): { rq: EevdfRunQueue; a: Task; s: Task } {
    const rq = new EevdfRunQueue(0, params);
    const a = task(2, 2 * MS, 10 * MS);
    rq.enqueue(a);
    const s = task(1, 6 * MS, 7 * MS);
    rq.dequeueSleep(s);
    return { rq, a, s };
  }

  it('a sleeper that is not eligible stays queued, counted in nr_running and in V (dequeue_entity() set_delayed(); avg_vruntime())', () => {
    const { rq, s } = delayed();
    expect(s.delayedOn).toBe(0);
    expect(rq.length).toBe(2);
    // A new task is placed at V (place_entity()): V of {2, 6} = 4 ms, the sleeper counted, not 2 ms.
    const n = task(3, 0, 0);
    rq.enqueueNew(n, null);
    expect([n.vruntime, n.deadline]).toEqual([4 * MS, 4 * MS + params.sliceNs / 2]);
    // Not runnable: some() passes it over, unless asked for the balancer's list (rq->cfs_tasks).
    expect(rq.some((t) => t === s)).toBe(false);
    expect(rq.some((t) => t === s, true)).toBe(true);
  });

  it('picked, it is dequeued with its lag clipped to 0 and the pick repeats (pick_next_entity() DEQUEUE_DELAYED, finish_delayed_dequeue_entity(), pick_task_fair())', () => {
    const { rq, a, s } = delayed();
    rq.enqueue(task(3, 12 * MS, 20 * MS));
    // V of {2, 6, 12} = 6.67 ms: S is eligible, and its deadline (7 ms) the earliest.
    expect(rq.length).toBe(3);
    expect(rq.pickNext()).toBe(a);
    expect([s.delayedOn, s.vlag, rq.length]).toEqual([-1, 0, 1]);
    // Gone: it wakes as any sleeper would, wherever select_task_rq() sends it.
    expect(rq.wakesInPlace(s)).toBe(false);
  });

  it('the pick with the running task still queued dequeues it too, and picks again (__schedule() → pick_task_fair())', () => {
    const rq = new EevdfRunQueue(0, params);
    rq.enqueue(task(2, 0, 50 * MS));
    const s = task(1, 4 * MS, 5 * MS);
    rq.dequeueSleep(s); // V of {0, 4} = 2 ms: delayed
    rq.enqueue(task(3, 10 * MS, 60 * MS));
    const cur = task(4, 0, 30 * MS);
    // The running task at 4.5 ms, unprotected: V of {0, 4, 10, 4.5} = 4.625 ms; S (4 ms, deadline
    // 5 ms) is the pick. Dequeued, V of {0, 10, 4.5} = 4.83 ms: the running task's 30 ms deadline
    // beats the 50 ms of the one eligible queued task, and it keeps the CPU.
    expect(rq.length).toBe(3);
    expect(rq.keepsCurrent(cur, 4.5 * MS)).toBe(true);
    expect([s.delayedOn, s.vlag, rq.length]).toEqual([-1, 0, 2]);
  });

  it('woken with its lag still ≤ 0 it stays where it is, vruntime and deadline kept (ttwu_runnable() → requeue_delayed_entity())', () => {
    const { rq, s } = delayed();
    // With a task running at 5 ms: V of {2, 6, 5} = 4.33 ms, still short of 6 ms.
    expect(rq.wakesInPlace(s)).toBe(true);
    expect(rq.enqueueWoken(s, 5 * MS)).toBe(true);
    expect([s.vruntime, s.deadline, s.delayedOn, rq.length]).toEqual([6 * MS, 7 * MS, -1, 2]);
  });

  it('woken once eligible, it still wakes on its queue, placed at V with lag 0 and a fresh request (requeue_delayed_entity(), DELAY_ZERO)', () => {
    const { rq, s } = delayed();
    // With a task running at 12 ms: V of {2, 6, 12} = 6.67 ms, past it. Still queued, it wakes
    // here (no select_task_rq()), counted all along.
    expect(rq.wakesInPlace(s)).toBe(true);
    expect(rq.enqueueWoken(s, 12 * MS)).toBe(true);
    // At V of {2 queued, 12 running} = 7 ms, a full request on.
    expect([s.vruntime, s.deadline, s.vlag, s.delayedOn, rq.length]).toEqual([7 * MS, 9_100_000, 0, -1, 2]);
  });

  it('the balancer may move it, and it stays delayed on its new queue (can_migrate_task() does not test sched_delayed; enqueue_task_fair())', () => {
    const { rq, s } = delayed();
    expect(rq.detachForMigration((t) => t === s, null)).toBe(s);
    const to = new EevdfRunQueue(1, params);
    to.attachMigrated(s, null);
    expect([s.delayedOn, to.length, to.wakesInPlace(s), rq.wakesInPlace(s)]).toEqual([1, 1, true, false]);
    // Its first pick there dequeues it: nothing to run.
    expect(to.pickNext()).toBeUndefined();
    expect([s.delayedOn, to.length]).toEqual([-1, 0]);
  });

  it('a CPU going down gives up only its runnable tasks: the delayed sleeper is dequeued, its negative lag kept (balance_push() meets it at its pick)', () => {
    const { rq, a, s } = delayed();
    expect(rq.detachAll()).toEqual([a]);
    // V of {2, 6} = 4 ms: lag −2 ms, not clipped (DELAY_ZERO clips a positive lag only).
    expect([s.delayedOn, s.vlag, rq.length]).toEqual([-1, -2 * MS, 0]);
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

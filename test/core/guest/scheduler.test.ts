import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../index.js';
import { RunQueue } from '../../../core/guest/scheduler.js';
import { Task } from '../../../core/guest/task.js';

const task = (id: number, vruntime: number) => {
  const t = new Task(id, `t${id}`, 't', 0, [{ kind: 'sleep', ns: 1 }], new RandomStreams(1).stream(`t${id}`));
  t.vruntime = vruntime;
  return t;
};

/** CFS place_entity() with GENTLE_FAIR_SLEEPERS, and update_min_vruntime() (kernel/sched/fair.c, before EEVDF). */
describe('RunQueue: sleeper placement', () => {
  const params = { sliceNs: 3_000_000, wakeupGranularityNs: 1_000_000, latencyNs: 6_000_000 };

  it('a sleeper keeps its lag when it slept less than half the latency', () => {
    const rq = new RunQueue(params);
    const sleeper = task(1, 10_000_000);
    // The other task ran 2 ms while it slept: min_vruntime (it, up to now) is 12 ms.
    rq.enqueueWoken(sleeper, 12_000_000);
    expect(sleeper.vruntime).toBe(10_000_000);
  });

  it('a long sleep earns at most half the latency of credit, counted from the running task: update_min_vruntime() includes curr', () => {
    const rq = new RunQueue(params);
    const sleeper = task(1, 10_000_000);
    // The running task's vruntime went from 10 to 30 ms during the sleep; the queue itself is empty.
    rq.enqueueWoken(sleeper, 30_000_000);
    expect(sleeper.vruntime).toBe(27_000_000);
    expect(rq.minVruntime).toBe(30_000_000);
  });

  it('with no task running, the queued tasks set the floor', () => {
    const rq = new RunQueue(params);
    rq.enqueue(task(2, 50_000_000));
    const sleeper = task(1, 10_000_000);
    rq.enqueueWoken(sleeper, null);
    expect(sleeper.vruntime).toBe(47_000_000);
  });

  it('the floor never goes back', () => {
    const rq = new RunQueue(params);
    rq.minVruntime = 40_000_000;
    const sleeper = task(1, 10_000_000);
    rq.enqueueWoken(sleeper, 20_000_000);
    expect(sleeper.vruntime).toBe(37_000_000);
  });
});

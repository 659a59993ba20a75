import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { drain } from '../../../core/check/at-rest.js';
import { Harness } from '../../../core/harness.js';

/**
 * The way back to user mode of a task flagged to sleep (v4's SDEI handler sets TIF_ASYNC_PF):
 * do_notify_resume() (arch/arm64/kernel/signal.c) calls schedule() for TIF_NEED_RESCHED first and
 * looks at the other work flags only when the task runs again; so a flagged task that is to be
 * preempted goes back to the run queue still flagged, and sleeps at its next return to user.
 */
describe('return to user: a resched comes before the flagged sleep', () => {
  function flaggedOnEntry(resched: boolean): Harness {
    const h = new Harness(findVariant('arm64-sdei'), { vcpus: 1, guestMemoryMiB: 2 });
    drain(h, []); // the wake-all the guest's enable queued is taken first, as a booted guest has
    h.fault(256);
    if (resched) h.vcpu().needResched = true;
    h.enter();
    return h;
  }

  it('without a resched pending, the task sleeps on its token at once', () => {
    const task = flaggedOnEntry(false).sim.tasks[0];
    expect(task.state).toBe('sleeping');
    expect(task.flaggedToken).toBe(-1);
  });

  it('with a resched pending, the task is switched out still flagged, and sleeps when it next returns to user', () => {
    const h = flaggedOnEntry(true);
    const [task, other] = h.sim.tasks;
    expect(task.state).toBe('runnable');
    expect(task.flaggedToken).toBeGreaterThanOrEqual(0);
    // The other task runs its slice; then the flagged one gets the CPU back and returns to user.
    h.schedule();
    expect(h.vcpu().current).toBe(other);
    other.vruntime += 1e9;
    h.vcpu().needResched = true;
    h.enter();
    h.schedule();
    expect(h.vcpu().current).toBe(task);
    // It was preempted on its way back to user mode: it goes on there.
    h.setCpu({ privilege: 'user' });
    h.enter();
    expect(task.state).toBe('sleeping');
    expect(h.vcpu().sleepTable.list().map((e) => e.kind)).toEqual(['sleeping']);
  });
});

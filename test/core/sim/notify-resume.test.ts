import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { drain } from '../../../core/check/at-rest.js';
import { Harness } from '../../../core/harness.js';
import { closeInvariants } from '../../../core/sim/close-invariants.js';
import type { Task } from '../../../core/guest/task.js';
import { flag, wake } from '../../../core/sim/guest-kernel.js';
import { deschedule, moveTask, returnToUser } from '../../../core/sim/guest-sched.js';

/**
 * The way back to user mode of a task flagged to sleep (v4's SDEI handler sets TIF_ASYNC_PF):
 * v4 13/15 puts the TIF_ASYNC_PF sleep at the top of do_notify_resume(), before the
 * TIF_NEED_RESCHED schedule() (gwshan/linux arch/arm64/kernel/signal.c). A flagged task returning
 * to user therefore sleeps at once, on its own CPU, even with a resched pending.
 */
describe('return to user: a flagged task sleeps before any resched (v4 do_notify_resume())', () => {
  function booted(vcpus = 1): Harness {
    const h = new Harness(findVariant('arm64-sdei'), { vcpus, guestMemoryMiB: 2 });
    drain(h, []); // the wake-all the guest's enable queued is taken first, as a booted guest has
    return h;
  }

  /** vCPU 1's task is flagged on `token` there, moves to vCPU 0 and returns to user mode on it. */
  function flagOnOneReturnOnTheOther(h: Harness, token: number): Task {
    const [v0, v1] = [h.vcpu(0), h.vcpu(1)];
    const task = v1.current!;
    expect(flag(h.sim, v1, token)).toBe(true);
    deschedule(h.sim, v1);
    moveTask(h.sim, task, v1, v0);
    deschedule(h.sim, v0).state = 'runnable';
    v0.current = task;
    task.state = 'running';
    h.setCpu({ privilege: 'user' }, 0);
    returnToUser(h.sim, v0);
    return task;
  }

  it.each([false, true])('resched pending %s: the task sleeps on its token at its return to user', (resched) => {
    const h = booted();
    const task = h.vcpu().current!;
    h.fault(256);
    if (resched) h.vcpu().needResched = true;
    h.enter();
    expect(task.state).toBe('sleeping');
    expect(task.flaggedToken).toBe(-1);
    expect(h.vcpu().sleepTable.list().map((e) => e.kind)).toEqual(['sleeping']);
  });

  it('a task flagged on one CPU that returns to user on another sleeps on the first CPU\'s entry, which that CPU\'s wake clears', () => {
    // kvm_async_pf_add_task() points the task's thread.data at the flagging CPU's wait queue, and
    // only that CPU's kvm_async_pf_remove_task() clears TIF_ASYNC_PF (gwshan/linux
    // arch/arm64/kernel/kvm.c). A flagged task can move before it returns to user: one flagged in
    // kernel mode, preempted there, on a CPU taken down (takeCpuDown() moves every runnable task).
    const h = booted(2);
    const [v0, v1] = [h.vcpu(0), h.vcpu(1)];
    const task = flagOnOneReturnOnTheOther(h, 0x1);
    expect(task.state).toBe('sleeping');
    expect(v1.sleepTable.list().map((e) => e.kind)).toEqual(['sleeping']);
    expect(v0.sleepTable.list()).toEqual([]);
    wake(h.sim, v1, 0x1);
    expect(task.state).toBe('runnable');
  });

  it('a run that stops while that task sleeps on the first CPU\'s entry counts its token in flight, not as a task nothing will wake', () => {
    // The task's page is still being read for the first CPU's work when the run stops (the drain
    // off, or cut at its time limit): the first CPU's wake will come, so the token is in flight.
    // The end-of-run judgement looked for the work on the CPU the task moved to and found none:
    // "sleeps on token … and nothing will wake it" (invariant 7), on a run whose drain then woke it
    // (a 4-vCPU run of 8 writers with the drain off, 99 ms, seed 287; hostile round of 2026-12-03).
    const h = booted(2);
    const v1 = h.vcpu(1);
    h.fault(256, 1);
    const work = v1.apf.gfns.get(256)!;
    const task = flagOnOneReturnOnTheOther(h, work.token);
    expect(task.state).toBe('sleeping');
    expect(task.vcpu).toBe(0);
    expect(v1.sleepTable.has(work.token, task.id)).toBe(true);
    closeInvariants(h.sim, h.sim.now, false);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { WAKE_ALL, type WakeSemantics } from '../../../core/guest/sleep-table.js';
import { TokenSleepTable } from '../../../core/guest/sleep-table-token.js';

/** x86: kvm_async_pf_task_wake() (facts/x86.md §3 "Sleep table", §2a). */
const X86: WakeSemantics = { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false };

describe('TokenSleepTable, x86 semantics (facts/x86.md §3, §2a)', () => {
  it('wakes the sleeper on its token', () => {
    const t = new TokenSleepTable(X86);
    expect(t.queue(0x1000, 7)).toBe(true);
    expect(t.wake(0x1000).woken).toEqual([7]);
    expect(t.sleepers).toBe(0);
  });

  it('leaves a dummy when the wake comes first, and the later not-present eats it', () => {
    const t = new TokenSleepTable(X86);
    expect(t.wake(0x2000).woken).toEqual([]);
    expect(t.dummies).toBe(1);
    expect(t.queue(0x2000, 3)).toBe(false);
    expect(t.dummies).toBe(0);
  });

  it('a not-present for a token a task still sleeps on takes its entry for a dummy: unhashed, the new one does not sleep, the sleeper is never woken', () => {
    // arch/x86/kernel/kvm.c kvm_async_pf_queue_task(): any node found is "a dummy" and is kfree()d.
    const t = new TokenSleepTable(X86);
    expect(t.enter(0x1000, 1)).toBe('queued');
    expect(t.enter(0x1000, 2)).toBe('freed-live');
    expect(t.sleepers).toBe(0);
    // Its page-ready finds nobody: it leaves a dummy, and task 1 stays asleep.
    expect(t.wake(0x1000).woken).toEqual([]);
    expect(t.dummies).toBe(1);
    expect(t.enter(0x3000, 1)).toBe('queued');
    expect(t.enter(0x3000, 1)).toBe('freed-live');
  });

  it('the same token for two tasks: the second not-present frees the first one\'s entry, the wake-all finds only what is left', () => {
    const t = new TokenSleepTable(X86);
    expect(t.enter(0x0, 1)).toBe('queued');
    expect(t.enter(0x0, 2)).toBe('freed-live');
    expect(t.has(0x0, 2)).toBe(false); // the taskId is not a key here
    expect(t.wake(WAKE_ALL).woken).toEqual([]);
  });

  it('a second wake on a dummy removes it (kvm_async_pf_task_wake() finds the node and unhashes it)', () => {
    const t = new TokenSleepTable(X86);
    t.wake(0x2000);
    t.wake(0x2000);
    expect(t.dummies).toBe(0);
    // The not-present that follows finds nothing to eat and sleeps.
    expect(t.queue(0x2000, 3)).toBe(true);
  });

  it('wakes every sleeper for token ~0 and drops dummies', () => {
    const t = new TokenSleepTable(X86);
    t.queue(0x1000, 1);
    t.queue(0x2000, 2);
    t.wake(0x3000);
    expect(t.wake(WAKE_ALL).woken).toEqual([1, 2]);
    expect(t.sleepers).toBe(0);
    expect(t.dummies).toBe(0);
  });
});

/** RFCv2: kvm_async_pf_wait() / kvm_async_pf_wake_one() / kvm_async_pf_delayed_wake() (seed 003, 9/9). */
const RFCV2: WakeSemantics = { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: true };

describe('TokenSleepTable, RFCv2 semantics: delayed wake and the halt branch (seed 003)', () => {
  it('a wake while the run-queue lock is held only marks the sleeper; the flush at return to user wakes it', () => {
    const t = new TokenSleepTable(RFCV2);
    t.queue(0x1000, 5);
    expect(t.wake(0x1000, { current: 1, rqLocked: true })).toMatchObject({ woken: [], delayed: 1 });
    expect(t.hasDelayed).toBe(true);
    expect(t.flushDelayed({ current: 1, rqLocked: false })).toMatchObject({ woken: [5], delayed: 0 });
    expect(t.sleepers).toBe(0);
  });

  it('a flush still under the lock leaves the mark (kvm_async_pf_wake_one() checks again)', () => {
    const t = new TokenSleepTable(RFCV2);
    t.queue(0x1000, 5);
    t.wake(0x1000, { current: 1, rqLocked: true });
    expect(t.flushDelayed({ current: 1, rqLocked: true })).toMatchObject({ woken: [], delayed: 1 });
    expect(t.hasDelayed).toBe(true);
  });

  it('a halted task woken from another context is unhashed and goes on', () => {
    const t = new TokenSleepTable(RFCV2);
    expect(t.queueHalted(0x1000, 7)).toBe('queued');
    expect(t.has(0x1000)).toBe(true);
    expect(t.wake(0x1000, { current: 2, rqLocked: false })).toMatchObject({ unhalted: [7] });
    expect(t.has(0x1000)).toBe(false);
  });

  it('a wake in the halted task\'s own context is delayed: the task is current, so the entry stays hashed', () => {
    const t = new TokenSleepTable(RFCV2);
    t.queueHalted(0x1000, 7);
    expect(t.wake(0x1000, { current: 7, rqLocked: false })).toMatchObject({ unhalted: [], delayed: 1 });
    expect(t.has(0x1000)).toBe(true);
  });

  it('without delayedWake the same wake acts at once (x86 2010 apf_task_wake_one())', () => {
    const t = new TokenSleepTable(X86);
    t.queueHalted(0x1000, 7);
    expect(t.wake(0x1000, { current: 7, rqLocked: true })).toMatchObject({ unhalted: [7], delayed: 0 });
  });

  it('a dummy still satisfies the halt branch: the wake came first', () => {
    const t = new TokenSleepTable(RFCV2);
    t.wake(0x1000, { current: 1, rqLocked: false });
    expect(t.queueHalted(0x1000, 7)).toBe('ate-dummy');
  });
});

import { describe, expect, it } from 'vitest';
import { SleepTable, WAKE_ALL, type WakeSemantics } from '../../../core/guest/sleep-table.js';

/** x86: kvm_async_pf_task_wake() (facts/x86.md §3 "Sleep table", §2a). */
const X86: WakeSemantics = { dummyOnEarlyWake: true, entryAtFlag: false };
/** arm64 v4: kvm_async_pf_add_task() / kvm_async_pf_remove_task() (facts/arm64.md §1a). */
const ARM64_V4: WakeSemantics = { dummyOnEarlyWake: false, entryAtFlag: true };

describe('SleepTable, x86 semantics (facts/x86.md §3, §2a)', () => {
  it('wakes the sleeper on its token', () => {
    const t = new SleepTable(X86);
    expect(t.queue(0x1000, 7)).toBe(true);
    expect(t.wake(0x1000).woken).toEqual([7]);
    expect(t.sleepers).toBe(0);
  });

  it('leaves a dummy when the wake comes first, and the later not-present eats it', () => {
    const t = new SleepTable(X86);
    expect(t.wake(0x2000).woken).toEqual([]);
    expect(t.dummies).toBe(1);
    expect(t.queue(0x2000, 3)).toBe(false);
    expect(t.dummies).toBe(0);
  });

  it('a second wake on a dummy removes it (kvm_async_pf_task_wake() finds the node and unhashes it)', () => {
    const t = new SleepTable(X86);
    t.wake(0x2000);
    t.wake(0x2000);
    expect(t.dummies).toBe(0);
    // The not-present that follows finds nothing to eat and sleeps.
    expect(t.queue(0x2000, 3)).toBe(true);
  });

  it('wakes every sleeper for token ~0 and drops dummies', () => {
    const t = new SleepTable(X86);
    t.queue(0x1000, 1);
    t.queue(0x2000, 2);
    t.wake(0x3000);
    expect(t.wake(WAKE_ALL).woken).toEqual([1, 2]);
    expect(t.sleepers).toBe(0);
    expect(t.dummies).toBe(0);
  });
});

describe('SleepTable, arm64 v4 semantics (facts/arm64.md §1a)', () => {
  it('ignores a wake for a token it does not know: no dummy', () => {
    const t = new SleepTable(ARM64_V4);
    expect(t.wake(0x2000)).toEqual({ woken: [], unflagged: [] });
    expect(t.dummies).toBe(0);
    expect(t.queue(0x2000, 3)).toBe(true);
  });

  it('a wake before the flagged task reaches user mode clears its flag', () => {
    const t = new SleepTable(ARM64_V4);
    expect(t.flag(0x1000, 4)).toBe(true);
    expect(t.wake(0x1000)).toEqual({ woken: [], unflagged: [4] });
    expect(t.sleepers).toBe(0);
  });

  it('a wake-all clears the flags of tasks flagged but not asleep, and wakes the sleepers', () => {
    const t = new SleepTable(ARM64_V4);
    t.flag(0x1000, 1);
    t.flag(0x2000, 2);
    expect(t.queue(0x2000, 2)).toBe(true); // task 2 reached do_notify_resume() and sleeps
    expect(t.wake(WAKE_ALL)).toEqual({ woken: [2], unflagged: [1] });
  });

  it('refuses a second entry for a task that already has one (kvm_async_pf_add_task())', () => {
    const t = new SleepTable(ARM64_V4);
    expect(t.flag(0x1000, 1)).toBe(true);
    expect(t.flag(0x2000, 1)).toBe(false);
  });
});

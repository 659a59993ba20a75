import { describe, expect, it } from 'vitest';
import { WAKE_ALL, type WakeSemantics } from '../../../core/guest/sleep-table.js';
import { TaskSlotSleepTable } from '../../../core/guest/sleep-table-task-slots.js';

/** arm64 v4: kvm_async_pf_add_task() / kvm_async_pf_remove_task() (facts/arm64.md §1a). */
const ARM64_V4: WakeSemantics = { dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false };

describe('TaskSlotSleepTable, arm64 v4 semantics (facts/arm64.md §1a)', () => {
  it('ignores a wake for a token it does not know: no dummy', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    expect(t.wake(0x2000)).toMatchObject({ woken: [], unflagged: [] });
    expect(t.dummies).toBe(0);
    expect(t.queue(0x2000, 3)).toBe(true);
  });

  it('a wake before the flagged task reaches user mode clears its flag', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    expect(t.flag(0x1000, 4)).toBe(true);
    expect(t.wake(0x1000)).toMatchObject({ woken: [], unflagged: [4] });
    expect(t.sleepers).toBe(0);
  });

  it('a wake-all clears the flags of tasks flagged but not asleep, and wakes the sleepers', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    t.flag(0x1000, 1);
    t.flag(0x2000, 2);
    expect(t.queue(0x2000, 2)).toBe(true); // task 2 reached do_notify_resume() and sleeps
    expect(t.wake(WAKE_ALL)).toMatchObject({ woken: [2], unflagged: [1] });
  });

  it('refuses a second entry for a task that already has one (kvm_async_pf_add_task())', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    expect(t.flag(0x1000, 1)).toBe(true);
    expect(t.flag(0x2000, 1)).toBe(false);
  });

  it('keeps two tasks on the same token (the table is keyed by task): a page-ready wakes the first slot only, the wake-all the other', () => {
    // v4 14/15 kvm_async_pf_add_task() refuses only a second slot for the same task;
    // kvm_async_pf_remove_task() removes the first slot whose token matches and stops.
    const t = new TaskSlotSleepTable(ARM64_V4);
    expect(t.flag(0x0, 1)).toBe(true);
    expect(t.enter(0x0, 1)).toBe('queued'); // task 1 sleeps in do_notify_resume()
    expect(t.flag(0x0, 2)).toBe(true); // the same token handed out again (a counter started again)
    expect(t.enter(0x0, 2)).toBe('queued');
    expect(t.sleepers).toBe(2);
    expect(t.has(0x0, 1)).toBe(true);
    expect(t.has(0x0, 2)).toBe(true);
    expect(t.wake(0x0).woken).toEqual([1]);
    expect(t.sleepers).toBe(1);
    expect(t.wake(WAKE_ALL).woken).toEqual([2]);
    expect(t.sleepers).toBe(0);
  });

  it('takes the lowest free slot, so a later task in a freed slot is the first a page-ready finds', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    t.flag(0x5000, 1); // slot 0
    t.flag(0x0, 2); // slot 1
    t.wake(0x5000); // slot 0 free again
    t.flag(0x0, 3); // slot 0
    expect(t.wake(0x0).unflagged).toEqual([3]);
    expect(t.wake(0x0).unflagged).toEqual([2]);
    expect(t.wake(0x0)).toMatchObject({ woken: [], unflagged: [] }); // unknown now: ignored
  });

  it('a wake-all wakes the slots in slot order', () => {
    const t = new TaskSlotSleepTable(ARM64_V4);
    t.flag(0x9000, 1);
    t.flag(0x1000, 2);
    expect(t.wake(WAKE_ALL).unflagged).toEqual([1, 2]);
  });
});

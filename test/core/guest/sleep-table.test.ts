import { describe, expect, it } from 'vitest';
import { SleepTable, WAKE_ALL } from '../../../core/guest/sleep-table.js';

// facts/x86.md §3 "Sleep table": a wake that comes first leaves a dummy; ~0 wakes all.
describe('SleepTable', () => {
  it('wakes the sleeper on its token', () => {
    const t = new SleepTable();
    expect(t.queue(0x1000, 7)).toBe(true);
    expect(t.wake(0x1000)).toEqual([7]);
    expect(t.sleepers).toBe(0);
  });

  it('leaves a dummy when the wake comes first, and the later not-present eats it', () => {
    const t = new SleepTable();
    expect(t.wake(0x2000)).toEqual([]);
    expect(t.dummies).toBe(1);
    expect(t.queue(0x2000, 3)).toBe(false);
    expect(t.dummies).toBe(0);
  });

  it('wakes every sleeper for token ~0 and drops dummies', () => {
    const t = new SleepTable();
    t.queue(0x1000, 1);
    t.queue(0x2000, 2);
    t.wake(0x3000);
    expect(t.wake(WAKE_ALL)).toEqual([1, 2]);
    expect(t.sleepers).toBe(0);
    expect(t.dummies).toBe(0);
  });
});

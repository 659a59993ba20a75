import { describe, expect, it } from 'vitest';
import { createSleepTable } from '../../../core/guest/sleep-table-create.js';
import { TaskSlotSleepTable } from '../../../core/guest/sleep-table-task-slots.js';
import { TokenSleepTable } from '../../../core/guest/sleep-table-token.js';

describe('createSleepTable', () => {
  it('gives entryAtFlag (arm64 v4, facts/arm64.md §1a) the task-keyed slots, everything else the token-keyed hash', () => {
    expect(createSleepTable({ dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false })).toBeInstanceOf(TaskSlotSleepTable);
    expect(createSleepTable({ dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false })).toBeInstanceOf(TokenSleepTable);
    expect(createSleepTable({ dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: true })).toBeInstanceOf(TokenSleepTable);
    expect(createSleepTable({ dummyOnEarlyWake: false, entryAtFlag: false, delayedWake: false })).toBeInstanceOf(TokenSleepTable);
  });

  it('refuses dummies in the task-keyed table: v4 kvm_async_pf_remove_task() ignores an unknown token', () => {
    expect(() => createSleepTable({ dummyOnEarlyWake: true, entryAtFlag: true, delayedWake: false })).toThrow('SleepTable: entryAtFlag (v4 task-keyed table) has no dummies: dummyOnEarlyWake must be false');
  });

  it('each table refuses the other shape\'s semantics when built directly', () => {
    expect(() => new TokenSleepTable({ dummyOnEarlyWake: false, entryAtFlag: true, delayedWake: false })).toThrow(/TokenSleepTable: entryAtFlag/);
    expect(() => new TaskSlotSleepTable({ dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false })).toThrow(/TaskSlotSleepTable: .*entryAtFlag must be true/);
  });
});

import type { SleepTable, WakeSemantics } from './sleep-table.js';
import { TaskSlotSleepTable } from './sleep-table-task-slots.js';
import { TokenSleepTable } from './sleep-table-token.js';

/**
 * A vCPU's sleep table in the shape the guest's wake path has (Backend.caps.guestWake): v4's
 * task-keyed slots where a task enters at flag time (entryAtFlag), else the token-keyed hash of x86
 * and RFCv2. The task-keyed table refuses dummyOnEarlyWake (it has no dummies).
 */
export function createSleepTable(semantics: WakeSemantics): SleepTable {
  return semantics.entryAtFlag ? new TaskSlotSleepTable(semantics) : new TokenSleepTable(semantics);
}

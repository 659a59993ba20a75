/**
 * The guest's async-PF sleep table for one vCPU: a token maps to the task waiting on it, to a
 * task flagged to sleep on it at its next return to user, or to a dummy left by a wake that
 * came first. How a wake treats a token it does not know, and when a flagged task enters the
 * table, are the guest's choices, so the backend states them (WakeSemantics).
 *
 * Two shapes, one class each: x86 and RFCv2 hash by token (core/guest/sleep-table-token.ts);
 * arm64 v4 (entryAtFlag) keeps {token, task} slots keyed by task
 * (core/guest/sleep-table-task-slots.ts). createSleepTable() (core/guest/sleep-table-create.ts)
 * picks the shape.
 */

export const WAKE_ALL = 0xffffffff;

/** How the guest's wake path behaves (Backend.caps.guestWake). */
export interface WakeSemantics {
  /**
   * A wake for a token nobody waits on leaves a dummy that the later not-present eats, and a
   * second wake removes the dummy (x86 kvm_async_pf_task_wake(), facts/x86.md §3 "Sleep table",
   * §2a). False: the wake is ignored (arm64 v4 kvm_async_pf_remove_task(), facts/arm64.md §1a).
   */
  readonly dummyOnEarlyWake: boolean;
  /**
   * A flagged task is entered in the table when it is flagged, so that a wake (by token or
   * wake-all) before its return to user clears the flag and it never sleeps (arm64 v4
   * kvm_async_pf_add_task(), facts/arm64.md §1a). False: it enters when it goes to sleep.
   */
  readonly entryAtFlag: boolean;
  /**
   * RFCv2's delayed wake (seed 003 kvm_async_pf_wake_one()): a wake whose sleeper is the current
   * task, or that comes while this CPU's run-queue lock is held, only marks the entry; the marked
   * entries are woken at the next return to user or idle entry (kvm_async_pf_delayed_wake() in
   * `ret_to_user` and `__cpu_do_idle()`). False: every wake acts at once.
   */
  readonly delayedWake: boolean;
}

/** What a wake did: tasks to make runnable, flagged tasks whose flag it cleared, halted tasks that go on. */
export interface WakeResult {
  readonly woken: readonly number[];
  readonly unflagged: readonly number[];
  readonly unhalted: readonly number[];
  /** Entries the wake only marked, to be finished later (delayedWake). */
  readonly delayed: number;
}

/** Who is waking: the task on this CPU (or -1 for idle) and whether its run-queue lock is held. */
export interface WakeContext {
  readonly current: number;
  readonly rqLocked: boolean;
}

/** What an entry of either shape is: a task's (sleeping, flagged, halted) or a dummy. */
export type EntryKind = 'sleeping' | 'flagged' | 'halted' | 'dummy';

export interface SleepTable {
  readonly semantics: WakeSemantics;
  /** kvm_async_pf_queue_task() / the sleep in do_notify_resume(): true if the task must sleep. */
  queue(token: number, taskId: number): boolean;
  /**
   * queue(), saying what it found: 'ate-dummy' where a wake came first, 'freed-live' where the
   * guest took another task's entry for a dummy (the token-keyed table only).
   */
  enter(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live';
  /** The halt branch of the wait: like queue(), but the task stays on the CPU and halts until unhashed. */
  queueHalted(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live';
  /**
   * Is `token` still hashed (a halted task keeps halting while it is)? In v4's table, with
   * `taskId`: does that task hold a slot for `token` (another task may hold the same token); the
   * token-keyed table has one entry per token and ignores `taskId`.
   */
  has(token: number, taskId?: number): boolean;
  /**
   * kvm_async_pf_add_task(): enter a task flagged to sleep on `token`; false if it already has
   * an entry (v4 refuses a second one for the same task). Without entryAtFlag nothing is entered.
   */
  flag(token: number, taskId: number): boolean;
  /** kvm_async_pf_task_wake() / kvm_async_pf_remove_task(). */
  wake(token: number, by?: WakeContext): WakeResult;
  /** kvm_async_pf_delayed_wake(): finish the marked wakes, each checked again as kvm_async_pf_wake_one() does. */
  flushDelayed(by: WakeContext): WakeResult;
  /** Does a marked wake wait to be finished? */
  readonly hasDelayed: boolean;
  /** Is `token`'s entry marked by a delayed wake, to be woken at this CPU's next return to user or idle? */
  isMarked(token: number): boolean;
  /** Dummies nobody consumed: the 2010 leak (facts/x86.md §6 "Dummy-entry leak"). */
  readonly dummies: number;
  /** What is left in the table, by token (`apf-lab check` reports what a quiet guest still holds). */
  list(): { readonly token: number; readonly kind: EntryKind }[];
  readonly sleepers: number;
}

/** A task's entry, in either shape. */
export type LiveEntry = { kind: 'sleeping' | 'flagged' | 'halted'; task: number; delayed: boolean };

export type WakeOut = { woken: number[]; unflagged: number[]; unhalted: number[]; delayed: number };

export const NOTHING: WakeResult = Object.freeze({ woken: [], unflagged: [], unhalted: [], delayed: 0 });
export const ANYONE: WakeContext = Object.freeze({ current: -2, rqLocked: false });

export function wakeOut(): WakeOut {
  return { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
}

/** The wake of one entry, shared by both shapes, and the count of entries a delayed wake marked. */
export class WakeSettler {
  /** Entries marked by a delayed wake: counted, so that the check at every return to user is O(1). */
  private marked = 0;

  constructor(private readonly delayedWake: boolean) {}

  get hasDelayed(): boolean {
    return this.marked > 0;
  }

  /** Wake one entry, or only mark it (delayedWake): true if it leaves the table. */
  settle(e: LiveEntry, by: WakeContext, out: WakeOut): boolean {
    if (this.delayedWake && e.kind !== 'flagged' && (e.task === by.current || by.rqLocked)) {
      if (!e.delayed) this.marked++;
      e.delayed = true;
      out.delayed++;
      return false;
    }
    if (e.delayed) this.marked--;
    if (e.kind === 'sleeping') out.woken.push(e.task);
    else if (e.kind === 'halted') out.unhalted.push(e.task);
    else out.unflagged.push(e.task);
    return true;
  }
}

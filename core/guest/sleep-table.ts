/**
 * The guest's async-PF sleep table for one vCPU: a token maps to the task waiting on it, to a
 * task flagged to sleep on it at its next return to user, or to a dummy left by a wake that
 * came first. How a wake treats a token it does not know, and when a flagged task enters the
 * table, are the guest's choices, so the backend states them (WakeSemantics).
 */
import { IntMap } from '../engine/int-map.js';

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

type Entry = { kind: 'sleeping' | 'flagged' | 'halted'; task: number; delayed: boolean } | { kind: 'dummy' };

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

const NOTHING: WakeResult = Object.freeze({ woken: [], unflagged: [], unhalted: [], delayed: 0 });
const ANYONE: WakeContext = Object.freeze({ current: -2, rqLocked: false });

export class SleepTable {
  private readonly entries = new IntMap<Entry>();
  /** Entries marked by a delayed wake: counted, so that the check at every return to user is O(1). */
  private marked = 0;

  constructor(readonly semantics: WakeSemantics) {}

  /** kvm_async_pf_queue_task() / the sleep in do_notify_resume(): true if the task must sleep. */
  queue(token: number, taskId: number): boolean {
    return this.enter(token, taskId) === 'queued';
  }

  /**
   * queue(), saying what it found. The guest takes any entry for `token` for a dummy ("wake up was
   * delivered ahead of PF"): it unhashes and frees it, and the caller does not sleep (x86
   * arch/x86/kernel/kvm.c kvm_async_pf_queue_task(); RFCv2 kvm_async_pf_wait(), seed 003). Where
   * the entry was a task's own (its token handed out again while it sleeps, as a host whose token
   * counter starts again can do), that is its on-stack node kfree()d, and it is never woken:
   * 'freed-live'.
   */
  enter(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    const found = this.entries.get(token);
    // A task flagged with its entry (entryAtFlag) now goes to sleep on it: that is its own entry.
    if (found !== undefined && !(found.kind === 'flagged' && found.task === taskId)) {
      this.entries.delete(token);
      return found.kind === 'dummy' ? 'ate-dummy' : 'freed-live';
    }
    this.entries.set(token, { kind: 'sleeping', task: taskId, delayed: false });
    return 'queued';
  }

  /** The halt branch of the wait: like queue(), but the task stays on the CPU and halts until unhashed. */
  queueHalted(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    const entered = this.enter(token, taskId);
    if (entered !== 'queued') return entered;
    this.entries.set(token, { kind: 'halted', task: taskId, delayed: false });
    return 'queued';
  }

  /** Is `token` still hashed (a halted task keeps halting while it is)? */
  has(token: number): boolean {
    return this.entries.has(token);
  }

  /**
   * kvm_async_pf_add_task(): enter a task flagged to sleep on `token`; false if it already has
   * an entry (v4 refuses a second one for the same task). Without entryAtFlag nothing is entered.
   */
  flag(token: number, taskId: number): boolean {
    if (!this.semantics.entryAtFlag) return true;
    let taken = false;
    this.entries.forEach((e) => {
      if (e.kind !== 'dummy' && e.task === taskId) taken = true;
    });
    if (taken) return false;
    this.entries.set(token, { kind: 'flagged', task: taskId, delayed: false });
    return true;
  }

  /** kvm_async_pf_task_wake() / kvm_async_pf_remove_task(). */
  wake(token: number, by: WakeContext = ANYONE): WakeResult {
    if (token === WAKE_ALL) return this.wakeAll(by);
    const e = this.entries.get(token);
    if (e === undefined) {
      if (this.semantics.dummyOnEarlyWake) this.entries.set(token, { kind: 'dummy' });
      return NOTHING;
    }
    if (e.kind === 'dummy') {
      this.entries.delete(token); // a second wake on a dummy removes it (facts/x86.md §2a)
      return NOTHING;
    }
    const out = { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
    this.wakeOne(token, e, by, out);
    return out;
  }

  /** kvm_async_pf_delayed_wake(): finish the marked wakes, each checked again as kvm_async_pf_wake_one() does. */
  flushDelayed(by: WakeContext): WakeResult {
    const out = { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
    for (const [token, e] of this.sorted()) if (e.kind !== 'dummy' && e.delayed) this.wakeOne(token, e, by, out);
    return out;
  }

  /** Does a marked wake wait to be finished? */
  get hasDelayed(): boolean {
    return this.marked > 0;
  }

  /** Is `token`'s entry marked by a delayed wake, to be woken at this CPU's next return to user or idle? */
  isMarked(token: number): boolean {
    const e = this.entries.get(token);
    return e !== undefined && e.kind !== 'dummy' && e.delayed;
  }

  private wakeOne(token: number, e: Exclude<Entry, { kind: 'dummy' }>, by: WakeContext, out: { woken: number[]; unflagged: number[]; unhalted: number[]; delayed: number }): void {
    if (this.semantics.delayedWake && e.kind !== 'flagged' && (e.task === by.current || by.rqLocked)) {
      if (!e.delayed) this.marked++;
      e.delayed = true;
      out.delayed++;
      return;
    }
    if (e.delayed) this.marked--;
    this.entries.delete(token);
    if (e.kind === 'sleeping') out.woken.push(e.task);
    else if (e.kind === 'halted') out.unhalted.push(e.task);
    else out.unflagged.push(e.task);
  }

  /** Token ~0: every entry of this vCPU goes, dummies included; flagged tasks lose their flag. */
  private wakeAll(by: WakeContext): WakeResult {
    const out = { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
    for (const [token, e] of this.sorted()) {
      if (e.kind === 'dummy') this.entries.delete(token);
      else this.wakeOne(token, e, by, out);
    }
    return out;
  }

  private sorted(): [number, Entry][] {
    const out: [number, Entry][] = [];
    this.entries.forEach((e, token) => out.push([token, e]));
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Dummies nobody consumed: the 2010 leak (facts/x86.md §6 "Dummy-entry leak"). */
  get dummies(): number {
    return this.count('dummy');
  }

  /** What is left in the table, by token (`apf-lab check` reports what a quiet guest still holds). */
  list(): { readonly token: number; readonly kind: Entry['kind'] }[] {
    return this.sorted().map(([token, e]) => ({ token, kind: e.kind }));
  }

  get sleepers(): number {
    return this.count('sleeping') + this.count('halted');
  }

  private count(kind: Entry['kind']): number {
    let n = 0;
    this.entries.forEach((e) => {
      if (e.kind === kind) n++;
    });
    return n;
  }
}

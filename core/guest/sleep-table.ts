/**
 * The guest's async-PF sleep table for one vCPU: a token maps to the task waiting on it, to a
 * task flagged to sleep on it at its next return to user, or to a dummy left by a wake that
 * came first. How a wake treats a token it does not know, and when a flagged task enters the
 * table, are the guest's choices, so the backend states them (WakeSemantics).
 *
 * Two shapes. x86 and RFCv2 hash by token: one entry per token, and a not-present that finds an
 * entry for its token takes it for a dummy. arm64 v4 (entryAtFlag) keeps a per-CPU array of
 * {token, task} slots keyed by task (v4 14/15, arch/arm64/kernel/kvm.c): kvm_async_pf_add_task()
 * takes the lowest free slot and refuses only a second entry for the same task, so two tasks may
 * hold the same token (a host whose counter starts again, as after a migration, hands one out
 * twice); kvm_async_pf_remove_task() removes the first (lowest) slot whose token matches and
 * stops, or every slot for ~0.
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

type Live = { kind: 'sleeping' | 'flagged' | 'halted'; task: number; delayed: boolean };
type Entry = Live | { kind: 'dummy' };
/** One slot of v4's table (struct kvm_apf_task): a task and the token it waits on. */
type Slot = Live & { readonly token: number };

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

type WakeOut = { woken: number[]; unflagged: number[]; unhalted: number[]; delayed: number };

const NOTHING: WakeResult = Object.freeze({ woken: [], unflagged: [], unhalted: [], delayed: 0 });
const ANYONE: WakeContext = Object.freeze({ current: -2, rqLocked: false });

export class SleepTable {
  private readonly entries = new IntMap<Entry>();
  /**
   * v4's task-keyed table (entryAtFlag), by slot index; null where the table hashes by token. Its
   * size is not bounded here: v4's 2 x SLOTS entries, and add_task()'s WARN when they are full, are
   * not modelled.
   */
  private readonly slots: (Slot | null)[] | null;
  /** Entries marked by a delayed wake: counted, so that the check at every return to user is O(1). */
  private marked = 0;

  constructor(readonly semantics: WakeSemantics) {
    // v4's table has no dummy, and no design has one with entries made at flag time.
    if (semantics.entryAtFlag && semantics.dummyOnEarlyWake) throw new Error('SleepTable: entryAtFlag (v4 task-keyed table) has no dummies: dummyOnEarlyWake must be false');
    this.slots = semantics.entryAtFlag ? [] : null;
  }

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
   * 'freed-live'. v4's task-keyed table (entryAtFlag) never finds another's entry: 'queued'.
   */
  enter(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    if (this.slots !== null) {
      this.sleepInSlot(token, taskId, 'sleeping');
      return 'queued';
    }
    const found = this.entries.get(token);
    // The token-keyed table has no flagged entries (flag() enters them in v4's slots only).
    if (found !== undefined) {
      this.entries.delete(token);
      return found.kind === 'dummy' ? 'ate-dummy' : 'freed-live';
    }
    this.entries.set(token, { kind: 'sleeping', task: taskId, delayed: false });
    return 'queued';
  }

  /** The halt branch of the wait: like queue(), but the task stays on the CPU and halts until unhashed. */
  queueHalted(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    if (this.slots !== null) {
      this.sleepInSlot(token, taskId, 'halted');
      return 'queued';
    }
    const entered = this.enter(token, taskId);
    if (entered !== 'queued') return entered;
    this.entries.set(token, { kind: 'halted', task: taskId, delayed: false });
    return 'queued';
  }

  /**
   * v4 (entryAtFlag): the task goes to sleep in do_notify_resume() on the slot its flag made, found
   * by the task, not the token; another task's slot for the same token is left alone. A task with
   * no slot (the lab's direct sleeps) takes the lowest free one.
   */
  private sleepInSlot(token: number, taskId: number, kind: 'sleeping' | 'halted'): void {
    const slots = this.slots!;
    for (const e of slots) {
      if (e !== null && e.task === taskId && e.token === token && e.kind === 'flagged') {
        e.kind = kind;
        return;
      }
    }
    this.addSlot({ kind, task: taskId, delayed: false, token });
  }

  /** kvm_async_pf_add_task(): the lowest free slot. */
  private addSlot(e: Slot): void {
    const slots = this.slots!;
    const free = slots.indexOf(null);
    if (free >= 0) slots[free] = e;
    else slots.push(e);
  }

  /**
   * Is `token` still hashed (a halted task keeps halting while it is)? In v4's table, with
   * `taskId`: does that task hold a slot for `token` (another task may hold the same token); the
   * token-keyed table has one entry per token and ignores `taskId`.
   */
  has(token: number, taskId?: number): boolean {
    if (this.slots !== null) return this.slots.some((e) => e !== null && e.token === token && (taskId === undefined || e.task === taskId));
    return this.entries.has(token);
  }

  /**
   * kvm_async_pf_add_task(): enter a task flagged to sleep on `token`; false if it already has
   * an entry (v4 refuses a second one for the same task). Without entryAtFlag nothing is entered.
   */
  flag(token: number, taskId: number): boolean {
    if (this.slots === null) return true;
    // A slot of the same task refuses it (v4 WARNs where its token differs); a slot of another task
    // with the same token does not.
    if (this.slots.some((e) => e !== null && e.task === taskId)) return false;
    this.addSlot({ kind: 'flagged', task: taskId, delayed: false, token });
    return true;
  }

  /** kvm_async_pf_task_wake() / kvm_async_pf_remove_task(). */
  wake(token: number, by: WakeContext = ANYONE): WakeResult {
    if (token === WAKE_ALL) return this.wakeAll(by);
    if (this.slots !== null) {
      // kvm_async_pf_remove_task(): the first slot with the token, and only it; unknown: ignored.
      const i = this.slots.findIndex((s) => s !== null && s.token === token);
      if (i < 0) return NOTHING;
      const out = { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
      if (this.settle(this.slots[i]!, by, out)) this.slots[i] = null;
      return out;
    }
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
    if (this.slots !== null) {
      this.slots.forEach((e, i) => {
        if (e !== null && e.delayed && this.settle(e, by, out)) this.slots![i] = null;
      });
      return out;
    }
    for (const [token, e] of this.sorted()) if (e.kind !== 'dummy' && e.delayed) this.wakeOne(token, e, by, out);
    return out;
  }

  /** Does a marked wake wait to be finished? */
  get hasDelayed(): boolean {
    return this.marked > 0;
  }

  /** Is `token`'s entry marked by a delayed wake, to be woken at this CPU's next return to user or idle? */
  isMarked(token: number): boolean {
    if (this.slots !== null) return this.slots.some((e) => e !== null && e.token === token && e.delayed);
    const e = this.entries.get(token);
    return e !== undefined && e.kind !== 'dummy' && e.delayed;
  }

  private wakeOne(token: number, e: Live, by: WakeContext, out: WakeOut): void {
    if (this.settle(e, by, out)) this.entries.delete(token);
  }

  /** Wake one entry, or only mark it (delayedWake): true if it leaves the table. */
  private settle(e: Live, by: WakeContext, out: WakeOut): boolean {
    if (this.semantics.delayedWake && e.kind !== 'flagged' && (e.task === by.current || by.rqLocked)) {
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

  /** Token ~0: every entry of this vCPU goes, dummies included; flagged tasks lose their flag. */
  private wakeAll(by: WakeContext): WakeResult {
    const out = { woken: [] as number[], unflagged: [] as number[], unhalted: [] as number[], delayed: 0 };
    if (this.slots !== null) {
      // v4: every occupied slot, in slot order.
      this.slots.forEach((e, i) => {
        if (e !== null && this.settle(e, by, out)) this.slots![i] = null;
      });
      return out;
    }
    for (const [token, e] of this.sorted()) {
      if (e.kind === 'dummy') this.entries.delete(token);
      else this.wakeOne(token, e, by, out);
    }
    return out;
  }

  /** By token; v4's slots with the same token in slot order (the sort is stable). */
  private sorted(): [number, Entry][] {
    const out: [number, Entry][] = [];
    if (this.slots !== null) for (const e of this.slots) if (e !== null) out.push([e.token, e]);
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
    if (this.slots !== null) for (const e of this.slots) if (e !== null && e.kind === kind) n++;
    this.entries.forEach((e) => {
      if (e.kind === kind) n++;
    });
    return n;
  }
}

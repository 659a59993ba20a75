/**
 * The guest's async-PF sleep table for one vCPU: a token maps to the task waiting on it, to a
 * task flagged to sleep on it at its next return to user, or to a dummy left by a wake that
 * came first. How a wake treats a token it does not know, and when a flagged task enters the
 * table, are the guest's choices, so the backend states them (WakeSemantics).
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
}

type Entry = { kind: 'sleeping' | 'flagged'; task: number } | { kind: 'dummy' };

/** What a wake did: tasks to make runnable, and flagged tasks whose flag it cleared. */
export interface WakeResult {
  readonly woken: readonly number[];
  readonly unflagged: readonly number[];
}

const NOTHING: WakeResult = Object.freeze({ woken: [], unflagged: [] });

export class SleepTable {
  private readonly entries = new Map<number, Entry>();

  constructor(readonly semantics: WakeSemantics) {}

  /** kvm_async_pf_queue_task() / the sleep in do_notify_resume(): true if the task must sleep. */
  queue(token: number, taskId: number): boolean {
    if (this.entries.get(token)?.kind === 'dummy') {
      this.entries.delete(token); // "wake up was delivered ahead of PF"
      return false;
    }
    this.entries.set(token, { kind: 'sleeping', task: taskId });
    return true;
  }

  /**
   * kvm_async_pf_add_task(): enter a task flagged to sleep on `token`; false if it already has
   * an entry (v4 refuses a second one for the same task). Without entryAtFlag nothing is entered.
   */
  flag(token: number, taskId: number): boolean {
    if (!this.semantics.entryAtFlag) return true;
    for (const e of this.entries.values()) if (e.kind !== 'dummy' && e.task === taskId) return false;
    this.entries.set(token, { kind: 'flagged', task: taskId });
    return true;
  }

  /** kvm_async_pf_task_wake() / kvm_async_pf_remove_task(). */
  wake(token: number): WakeResult {
    if (token === WAKE_ALL) return this.wakeAll();
    const e = this.entries.get(token);
    if (e === undefined) {
      if (this.semantics.dummyOnEarlyWake) this.entries.set(token, { kind: 'dummy' });
      return NOTHING;
    }
    this.entries.delete(token); // a second wake on a dummy removes it (facts/x86.md §2a)
    if (e.kind === 'sleeping') return { woken: [e.task], unflagged: [] };
    if (e.kind === 'flagged') return { woken: [], unflagged: [e.task] };
    return NOTHING;
  }

  /** Token ~0: every entry of this vCPU goes, dummies included; flagged tasks lose their flag. */
  private wakeAll(): WakeResult {
    const woken: number[] = [];
    const unflagged: number[] = [];
    for (const [token, e] of [...this.entries.entries()].sort((a, b) => a[0] - b[0])) {
      this.entries.delete(token);
      if (e.kind === 'sleeping') woken.push(e.task);
      else if (e.kind === 'flagged') unflagged.push(e.task);
    }
    return { woken, unflagged };
  }

  /** Dummies nobody consumed: the 2010 leak (facts/x86.md §6 "Dummy-entry leak"). */
  get dummies(): number {
    return this.count('dummy');
  }

  get sleepers(): number {
    return this.count('sleeping');
  }

  private count(kind: Entry['kind']): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.kind === kind) n++;
    return n;
  }
}

import { ANYONE, NOTHING, WAKE_ALL, WakeSettler, wakeOut, type EntryKind, type LiveEntry, type SleepTable, type WakeContext, type WakeResult, type WakeSemantics } from './sleep-table.js';

/** One slot of v4's table (struct kvm_apf_task): a task and the token it waits on. */
type Slot = LiveEntry & { readonly token: number };

/**
 * arm64 v4's sleep table (entryAtFlag): a per-CPU array of {token, task} slots keyed by task
 * (v4 14/15, arch/arm64/kernel/kvm.c struct kvm_apf_table): kvm_async_pf_add_task() takes the
 * lowest free slot and refuses only a second entry for the same task, so two tasks may hold the
 * same token (a host whose counter starts again, as after a migration, hands one out twice);
 * kvm_async_pf_remove_task() removes the first (lowest) slot whose token matches and stops, or
 * every slot for ~0. A not-present never finds another's entry, and a wake for a token it does
 * not know is ignored: there are no dummies.
 */
export class TaskSlotSleepTable implements SleepTable {
  /**
   * By slot index. Its size is not bounded here: v4's 2 x SLOTS entries, and add_task()'s WARN
   * when they are full, are not modelled.
   */
  private readonly slots: (Slot | null)[] = [];
  private readonly settler: WakeSettler;

  constructor(readonly semantics: WakeSemantics) {
    if (!semantics.entryAtFlag) throw new Error('TaskSlotSleepTable: the task-keyed table enters a task when it is flagged: entryAtFlag must be true; use createSleepTable()');
    // v4's table has no dummy, and no design has one with entries made at flag time.
    if (semantics.dummyOnEarlyWake) throw new Error('SleepTable: entryAtFlag (v4 task-keyed table) has no dummies: dummyOnEarlyWake must be false');
    this.settler = new WakeSettler(semantics.delayedWake);
  }

  queue(token: number, taskId: number): boolean {
    return this.enter(token, taskId) === 'queued';
  }

  /** queue(): the task-keyed table never finds another's entry, so always 'queued'. */
  enter(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    this.sleepInSlot(token, taskId, 'sleeping');
    return 'queued';
  }

  queueHalted(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    this.sleepInSlot(token, taskId, 'halted');
    return 'queued';
  }

  /**
   * The task goes to sleep in do_notify_resume() on the slot its flag made, found by the task,
   * not the token; another task's slot for the same token is left alone. A task with no slot (the
   * lab's direct sleeps) takes the lowest free one.
   */
  private sleepInSlot(token: number, taskId: number, kind: 'sleeping' | 'halted'): void {
    for (const e of this.slots) {
      if (e !== null && e.task === taskId && e.token === token && e.kind === 'flagged') {
        e.kind = kind;
        return;
      }
    }
    this.addSlot({ kind, task: taskId, delayed: false, token });
  }

  /** kvm_async_pf_add_task(): the lowest free slot. */
  private addSlot(e: Slot): void {
    const free = this.slots.indexOf(null);
    if (free >= 0) this.slots[free] = e;
    else this.slots.push(e);
  }

  /** With `taskId`: does that task hold a slot for `token` (another task may hold the same token)? */
  has(token: number, taskId?: number): boolean {
    return this.slots.some((e) => e !== null && e.token === token && (taskId === undefined || e.task === taskId));
  }

  flag(token: number, taskId: number): boolean {
    // A slot of the same task refuses it (v4 WARNs where its token differs); a slot of another task
    // with the same token does not.
    if (this.slots.some((e) => e !== null && e.task === taskId)) return false;
    this.addSlot({ kind: 'flagged', task: taskId, delayed: false, token });
    return true;
  }

  wake(token: number, by: WakeContext = ANYONE): WakeResult {
    if (token === WAKE_ALL) return this.wakeAll(by);
    // kvm_async_pf_remove_task(): the first slot with the token, and only it; unknown: ignored.
    const i = this.slots.findIndex((s) => s !== null && s.token === token);
    if (i < 0) return NOTHING;
    const out = wakeOut();
    if (this.settler.settle(this.slots[i]!, by, out)) this.slots[i] = null;
    return out;
  }

  flushDelayed(by: WakeContext): WakeResult {
    const out = wakeOut();
    this.slots.forEach((e, i) => {
      if (e !== null && e.delayed && this.settler.settle(e, by, out)) this.slots[i] = null;
    });
    return out;
  }

  get hasDelayed(): boolean {
    return this.settler.hasDelayed;
  }

  isMarked(token: number): boolean {
    return this.slots.some((e) => e !== null && e.token === token && e.delayed);
  }

  /** Token ~0: every occupied slot, in slot order; flagged tasks lose their flag. */
  private wakeAll(by: WakeContext): WakeResult {
    const out = wakeOut();
    this.slots.forEach((e, i) => {
      if (e !== null && this.settler.settle(e, by, out)) this.slots[i] = null;
    });
    return out;
  }

  /** No dummies: an unknown token's wake is ignored. */
  get dummies(): number {
    return 0;
  }

  /** By token; slots with the same token in slot order (the sort is stable). */
  list(): { readonly token: number; readonly kind: EntryKind }[] {
    const out: Slot[] = [];
    for (const e of this.slots) if (e !== null) out.push(e);
    return out.sort((a, b) => a.token - b.token).map((e) => ({ token: e.token, kind: e.kind }));
  }

  get sleepers(): number {
    let n = 0;
    for (const e of this.slots) if (e !== null && (e.kind === 'sleeping' || e.kind === 'halted')) n++;
    return n;
  }
}

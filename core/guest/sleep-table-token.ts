import { IntMap } from '../engine/int-map.js';
import { ANYONE, NOTHING, WAKE_ALL, WakeSettler, wakeOut, type EntryKind, type LiveEntry, type SleepTable, type WakeContext, type WakeOut, type WakeResult, type WakeSemantics } from './sleep-table.js';

type Entry = LiveEntry | { kind: 'dummy' };

/**
 * The sleep table of x86 and RFCv2, hashed by token (x86 arch/x86/kernel/kvm.c async_pf_sleepers[],
 * struct kvm_task_sleep_head / kvm_task_sleep_node; RFCv2 seed 003): one entry per token, and a
 * not-present that finds an entry for its token takes it for a dummy. Flagged tasks are never
 * entered here (entryAtFlag is the task-keyed table's, core/guest/sleep-table-task-slots.ts).
 */
export class TokenSleepTable implements SleepTable {
  private readonly entries = new IntMap<Entry>();
  private readonly settler: WakeSettler;

  constructor(readonly semantics: WakeSemantics) {
    if (semantics.entryAtFlag) throw new Error('TokenSleepTable: entryAtFlag is the task-keyed table (TaskSlotSleepTable); use createSleepTable()');
    this.settler = new WakeSettler(semantics.delayedWake);
  }

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
    // This table has no flagged entries (flag() enters them in v4's slots only).
    if (found !== undefined) {
      this.entries.delete(token);
      return found.kind === 'dummy' ? 'ate-dummy' : 'freed-live';
    }
    this.entries.set(token, { kind: 'sleeping', task: taskId, delayed: false });
    return 'queued';
  }

  queueHalted(token: number, taskId: number): 'queued' | 'ate-dummy' | 'freed-live' {
    const entered = this.enter(token, taskId);
    if (entered !== 'queued') return entered;
    this.entries.set(token, { kind: 'halted', task: taskId, delayed: false });
    return 'queued';
  }

  /** One entry per token: `taskId` is not a key here. */
  has(token: number, _taskId?: number): boolean {
    return this.entries.has(token);
  }

  /** Nothing is entered at flag time (the task enters when it goes to sleep). */
  flag(_token: number, _taskId: number): boolean {
    return true;
  }

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
    const out = wakeOut();
    this.wakeOne(token, e, by, out);
    return out;
  }

  flushDelayed(by: WakeContext): WakeResult {
    const out = wakeOut();
    for (const [token, e] of this.sorted()) if (e.kind !== 'dummy' && e.delayed) this.wakeOne(token, e, by, out);
    return out;
  }

  get hasDelayed(): boolean {
    return this.settler.hasDelayed;
  }

  isMarked(token: number): boolean {
    const e = this.entries.get(token);
    return e !== undefined && e.kind !== 'dummy' && e.delayed;
  }

  private wakeOne(token: number, e: LiveEntry, by: WakeContext, out: WakeOut): void {
    if (this.settler.settle(e, by, out)) this.entries.delete(token);
  }

  /** Token ~0: every entry of this vCPU goes, dummies included. */
  private wakeAll(by: WakeContext): WakeResult {
    const out = wakeOut();
    for (const [token, e] of this.sorted()) {
      if (e.kind === 'dummy') this.entries.delete(token);
      else this.wakeOne(token, e, by, out);
    }
    return out;
  }

  /** By token (one entry each). */
  private sorted(): [number, Entry][] {
    const out: [number, Entry][] = [];
    this.entries.forEach((e, token) => out.push([token, e]));
    return out.sort((a, b) => a[0] - b[0]);
  }

  get dummies(): number {
    return this.count('dummy');
  }

  list(): { readonly token: number; readonly kind: EntryKind }[] {
    return this.sorted().map(([token, e]) => ({ token, kind: e.kind }));
  }

  get sleepers(): number {
    return this.count('sleeping') + this.count('halted');
  }

  private count(kind: EntryKind): number {
    let n = 0;
    this.entries.forEach((e) => {
      if (e.kind === kind) n++;
    });
    return n;
  }
}

import type { RunQueue } from './run-queue.js';
import type { Task } from './task.js';

/**
 * The fair class of Linux before 6.6, CFS (core/guest/eevdf.ts has 6.6 on), per vCPU, reduced to what APF changes: each task accrues virtual runtime
 * while it is on the vCPU — including time the vCPU spends blocked or halted in the host, which
 * the guest cannot tell from running (PROTOCOLS.md §3 "scheduling") — the runnable task with the
 * least runs next, a tick preempts after a slice, and a woken sleeper, placed no further back than
 * half a scheduling latency, preempts the current task when it is a wakeup granularity behind.
 * Model assumption: one weight for all tasks; granularities as Linux scales them for 4 CPUs.
 */
export interface CfsParams {
  readonly sliceNs: number;
  /** Scaled with the CPUs online where the scenario left them at their defaults (fair-class.ts). */
  wakeupGranularityNs: number;
  latencyNs: number;
}

export class CfsRunQueue implements RunQueue {
  /**
   * The runnable tasks as a binary min-heap on (vruntime, queued order): the leftmost entity of
   * CFS's rbtree at the top, ties to the one queued first. A queued task's vruntime does not change
   * until it leaves the queue, so the order holds. `keys[i]` is `heap[i]`'s vruntime (kept here, so
   * that a comparison reads no task) and `seqs[i]` when it was queued.
   */
  private readonly heap: Task[] = [];
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private nextSeq = 0;
  /** Monotonic floor of runnable vruntimes (cfs_rq.min_vruntime). */
  minVruntime = 0;
  /**
   * Queued tasks not pinned to this CPU. A task's pin changes only off a queue (a CPU taken down
   * unpins what it moves, between detach and attach), so the count holds.
   */
  private unpinnedCount = 0;
  /** Stamps the use of a task on this queue (Task.lru): the order of cfs_tasks, most recent last. */
  private used = 0;

  constructor(private readonly params: CfsParams) {}

  get length(): number {
    return this.heap.length;
  }

  /** Queued tasks that the balancer may move at all (not pinned). */
  get unpinned(): number {
    return this.unpinnedCount;
  }

  /** The slice a tick lets a task run before another waiting one gets the CPU. */
  get sliceNs(): number {
    return this.params.sliceNs;
  }

  /** Whether a queued task satisfies `pred`. */
  some(pred: (t: Task) => boolean): boolean {
    return this.heap.some(pred);
  }

  /** Put a preempted (or new) task back. */
  enqueue(task: Task): void {
    if (!task.pinned) this.unpinnedCount++;
    const i = this.heap.length;
    this.heap.push(task);
    this.keys.push(task.vruntime);
    this.seqs.push(this.nextSeq++);
    this.siftUp(i);
  }

  /**
   * Put a woken sleeper back, with sleeper credit capped at half the latency (place_entity(),
   * GENTLE_FAIR_SLEEPERS). The floor first catches up with the task on the vCPU, whose vruntime
   * (`currentVruntime`, up to now; null when the vCPU runs no task) grew while the sleeper slept:
   * update_min_vruntime() counts `curr` (kernel/sched/fair.c, CFS before EEVDF in 6.6). Without
   * that, a sleeper would keep credit for its whole sleep however long.
   */
  enqueueWoken(task: Task, currentVruntime: number | null = null): boolean {
    task.lru = ++this.used;
    this.updateMinVruntime(currentVruntime);
    task.vruntime = Math.max(task.vruntime, this.minVruntime - this.params.latencyNs / 2);
    this.enqueue(task);
    return false;
  }

  /** update_min_vruntime(): the floor catches up with the running task and the queued ones; it never goes back. */
  private updateMinVruntime(currentVruntime: number | null): void {
    let floor = currentVruntime ?? Infinity;
    if (this.heap.length > 0 && this.keys[0] < floor) floor = this.keys[0];
    if (floor !== Infinity) this.minVruntime = Math.max(this.minVruntime, floor);
  }

  /**
   * Put a new (forked) task on the queue: place_entity() for a new entity starts it no earlier than
   * the queue's floor, so that it neither jumps ahead of the tasks already there by its zero
   * vruntime nor waits behind them. (START_DEBIT's extra slice before EEVDF is not modelled.)
   */
  enqueueNew(task: Task, currentVruntime: number | null = null): void {
    task.lru = ++this.used;
    this.updateMinVruntime(currentVruntime);
    task.vruntime = Math.max(task.vruntime, this.minVruntime);
    this.enqueue(task);
  }

  /** CFS keeps no lag: a sleeper's vruntime is all it takes with it. */
  dequeueSleep(): void {}

  /**
   * A resched switches, as the lab had it: the tick asks only with a task waiting and a wake only
   * for a task a granularity behind, so the preempted task is seldom the leftmost again (Linux then
   * does not switch; the lab would, once).
   */
  keepsCurrent(): boolean {
    return false;
  }

  /** Nothing sleeps on a CFS queue. */
  wakesInPlace(): boolean {
    return false;
  }

  /** The runnable task with the least vruntime; ties go to the one queued first. The floor catches up with it. */
  pickNext(): Task | undefined {
    if (this.heap.length === 0) return undefined;
    const t = this.removeAt(0);
    t.lru = ++this.used;
    this.minVruntime = Math.max(this.minVruntime, t.vruntime);
    return t;
  }

  /**
   * detach_tasks() of a balance: take the least recently used task that may move (`movable`) for
   * another CPU's run queue — cfs_tasks is kept most recently used first (a wake, a fork or a
   * migration adds a task at its head, pick_next_task_fair() moves the picked one there) and the
   * balance takes from its tail (kernel/sched/fair.c) — its vruntime made relative to this
   * queue's floor (it becomes absolute again on the queue it joins, attachMigrated()). The lab took
   * the most recently queued, the task just preempted. task_hot()'s skip of a task that ran within
   * the last 0.5 ms is the caller's `movable` (core/sim/guest-sched.ts pullTask()).
   */
  detachForMigration(movable: (t: Task) => boolean): Task | undefined {
    let oldest = -1;
    for (let i = 0; i < this.heap.length; i++) {
      if (!movable(this.heap[i])) continue;
      const a = this.heap[i].lru;
      const b = oldest < 0 ? Infinity : this.heap[oldest].lru;
      if (a < b || (a === b && this.seqs[i] < this.seqs[oldest])) oldest = i;
    }
    if (oldest < 0) return undefined;
    const t = this.removeAt(oldest);
    t.vruntime -= this.minVruntime;
    return t;
  }

  /**
   * A CPU going down gives up every queued task, in the order it would have run them (balance_push()
   * pushes each as it is picked; migrate_tasks() before it looped on pick_next_task()), so that of
   * equal ones the oldest still runs first where they land; each relative to this queue's floor.
   * One pass: detaching one by one scanned the queue per task (50,000 tasks took 2.2 s).
   */
  detachAll(): Task[] {
    const order = this.heap.map((_, i) => i).sort((a, b) => this.keys[a] - this.keys[b] || this.seqs[a] - this.seqs[b]);
    const out = order.map((i) => this.heap[i]);
    for (const t of out) t.vruntime -= this.minVruntime;
    this.heap.length = 0;
    this.keys.length = 0;
    this.seqs.length = 0;
    this.unpinnedCount = 0;
    return out;
  }

  /** The other half of a migration: the task joins this queue relative to its floor. */
  attachMigrated(task: Task): void {
    task.lru = ++this.used;
    task.vruntime += this.minVruntime;
    this.enqueue(task);
  }

  /**
   * check_preempt_tick(): the current task ran more than a slice and someone else is waiting.
   * More than: `delta_exec > ideal_runtime` in kernel/sched/fair.c before EEVDF (6.6), so a task
   * picked just after a tick, with a slice of one tick period, runs two (as on Linux: HZ 250 and a
   * 4 ms slice give 8 ms turns). Its second test, a vruntime lead over the leftmost task larger
   * than the slice once past sched_min_granularity, is not modelled.
   */
  tickPreempts(ranNs: number): boolean {
    return this.heap.length > 0 && ranNs > this.params.sliceNs;
  }

  /** check_preempt_wakeup(): the woken task is more than a granularity behind the current one. */
  wakeupPreempts(woken: Task, currentVruntime: number): boolean {
    return woken.vruntime + this.params.wakeupGranularityNs < currentVruntime;
  }

  /** Does the entry at `i` come before the one at `j`: less vruntime, or as much and queued first? */
  private before(i: number, j: number): boolean {
    const a = this.keys[i];
    const b = this.keys[j];
    return a < b || (a === b && this.seqs[i] < this.seqs[j]);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i];
    this.heap[i] = this.heap[j];
    this.heap[j] = t;
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
    const s = this.seqs[i];
    this.seqs[i] = this.seqs[j];
    this.seqs[j] = s;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const c = l + 1 < n && this.before(l + 1, l) ? l + 1 : l;
      if (!this.before(c, i)) return;
      this.swap(i, c);
      i = c;
    }
  }

  /** Take the entry at `i` out, the last one filling its place. */
  private removeAt(i: number): Task {
    const t = this.heap[i];
    if (!t.pinned) this.unpinnedCount--;
    const last = this.heap.length - 1;
    if (i !== last) this.swap(i, last);
    this.heap.pop();
    this.keys.pop();
    this.seqs.pop();
    if (i !== last) {
      this.siftDown(i);
      this.siftUp(i);
    }
    return t;
  }
}

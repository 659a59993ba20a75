import { DeadlineTree } from './deadline-tree.js';
import type { RunQueue } from './run-queue.js';
import type { Task } from './task.js';

/**
 * The fair class of Linux 6.6 on, EEVDF, as 6.12's kernel/sched/fair.c has it, reduced to tasks of
 * one weight (nice 0), one level (no cgroup hierarchy) and the default features (features.h):
 * - V, the queue's average vruntime, counts the running task (avg_vruntime()); a task is eligible
 *   when its vruntime is no later than V (entity_eligible()), compared exactly, in integers;
 * - the pick is the eligible task with the earliest virtual deadline, deadline = vruntime + slice
 *   (pick_eevdf(), update_deadline()); ties go to the one queued first (the rbtree's order);
 * - RUN_TO_PARITY: the running task keeps the CPU while it is eligible and still inside the slice
 *   it was picked with (protect_slice());
 * - update_curr(): once the running task's vruntime reaches its deadline, a new deadline, and a
 *   resched when another task is queued;
 * - a sleeper leaves with its lag, V − vruntime, clamped to ±max(2 slices, a tick)
 *   (update_entity_lag()), and a woken task is placed at V − lag, the lag scaled by (n+1)/n so
 *   that placing it does not move V (place_entity(), PLACE_LAG); a new task gets half a slice to
 *   its first deadline (PLACE_DEADLINE_INITIAL); a migrated one keeps its lag and its deadline
 *   relative to its vruntime (PLACE_REL_DEADLINE);
 * - DELAY_DEQUEUE with DELAY_ZERO: a sleeper that is not eligible stays queued until it is
 *   eligible, burning off its negative lag, and then leaves with lag 0. Model assumption: the
 *   delayed sleeper is kept off the queue and applied at its wake — still ineligible, it wakes in
 *   place with its vruntime and deadline (ttwu_runnable(), requeue_delayed_entity()); eligible by
 *   then, it had left with lag 0 and wakes as any sleeper. Its weight in V while it sleeps is not
 *   modelled.
 * - PREEMPT_SHORT's did_preempt_short(): update_curr() also reschedules a running task that is
 *   neither protected nor eligible any more.
 * The queue is core/guest/deadline-tree.ts, as the kernel's augmented rbtree: a pick is O(log n).
 */
export interface EevdfParams {
  /**
   * sysctl_sched_base_slice as Linux scales it for the guest's CPUs (0.7 ms × (1 + ilog2(min(cpus,
   * 8)))), again for those online as CPUs go down and up (fair-class.ts rescaleForOnline()).
   */
  sliceNs: number;
  /** TICK_NSEC: the lag bound is at least a tick. */
  readonly tickNs: number;
}

export class EevdfRunQueue implements RunQueue {
  private readonly tree = new DeadlineTree();
  private nextSeq = 0;
  /**
   * Σ (vruntime − zero) over the queued tasks (cfs_rq.avg_vruntime with every weight 1): `zero`
   * follows V (update_zero_vruntime()), so that the keys stay within the lag bounds and the sum
   * exact in a double.
   */
  private sum = 0;
  private zero = 0;
  /** cfs_rq.min_vruntime: where a task joining an empty queue is placed. */
  minVruntime = 0;
  private unpinnedCount = 0;
  /** Task.lru stamps, as core/guest/cfs.ts keeps them (the balance takes the least recently used). */
  private used = 0;

  constructor(
    /** The vCPU's id: a delayed sleeper remembers the queue it is delayed on (Task.delayedOn). */
    private readonly id: number,
    private readonly params: EevdfParams,
  ) {}

  get length(): number {
    return this.tree.size;
  }

  get unpinned(): number {
    return this.unpinnedCount;
  }

  get sliceNs(): number {
    return this.params.sliceNs;
  }

  some(pred: (t: Task) => boolean): boolean {
    return this.tree.inOrder().some(pred);
  }

  enqueue(task: Task): void {
    // put_prev_entity() follows update_curr(): a request used up is renewed.
    this.renew(task, task.vruntime);
    this.insert(task);
  }

  enqueueWoken(task: Task, currentVruntime: number | null): boolean {
    task.lru = ++this.used;
    if (this.wakesInPlace(task, currentVruntime)) {
      // requeue_delayed_entity(): still not eligible, it keeps its place (its lag ≤ 0).
      task.delayedOn = -1;
      this.insert(task);
      return true;
    }
    // Eligible since (or woken elsewhere): it had left with its lag clipped to 0 (DELAY_ZERO).
    if (task.delayedOn >= 0) task.vlag = 0;
    task.delayedOn = -1;
    this.place(task, currentVruntime, false);
    this.insert(task);
    return false;
  }

  enqueueNew(task: Task, currentVruntime: number | null): void {
    task.lru = ++this.used;
    task.vlag = 0;
    task.delayedOn = -1;
    this.place(task, currentVruntime, true);
    this.insert(task);
  }

  dequeueSleep(task: Task): void {
    this.renew(task, task.vruntime);
    this.minVruntime = Math.max(this.minVruntime, Math.min(task.vruntime, this.tree.leftmostVruntime));
    // The sleeper is still `curr` here: V counts it.
    const n = this.tree.size + 1;
    const sum = this.sum + (task.vruntime - this.zero);
    if (!eligible(task.vruntime - this.zero, sum, n)) {
      task.delayedOn = this.id;
      return;
    }
    task.vlag = this.lag(task, this.zero + floorDiv(sum, n));
  }

  pickNext(): Task | undefined {
    const t = this.best(null, 0);
    if (t === null) return undefined;
    this.remove(t);
    t.lru = ++this.used;
    // set_next_entity(): the slice it is picked with is protected (RUN_TO_PARITY).
    t.pickedDeadline = t.deadline;
    this.minVruntime = Math.max(this.minVruntime, Math.min(t.vruntime, this.tree.leftmostVruntime));
    return t;
  }

  keepsCurrent(current: Task, currentVruntime: number): boolean {
    this.renew(current, currentVruntime);
    if (this.tree.size === 0) return true;
    return this.best(current, currentVruntime) === current;
  }

  wakesInPlace(task: Task, currentVruntime: number | null): boolean {
    if (task.delayedOn !== this.id) return false;
    // update_entity_lag() at the wake, V counting the sleeper (still queued) and the running task.
    let n = this.tree.size + 1;
    let sum = this.sum + (task.vruntime - this.zero);
    if (currentVruntime !== null) {
      n++;
      sum += currentVruntime - this.zero;
    }
    return this.zero + floorDiv(sum, n) - task.vruntime <= 0;
  }

  /**
   * detach_tasks(): the least recently used task that may move, its lag (V counting the running
   * task, `currentVruntime`) and relative deadline kept.
   */
  detachForMigration(movable: (t: Task) => boolean, currentVruntime: number | null = null): Task | undefined {
    let oldest: Task | undefined;
    this.tree.forEach((t) => {
      if (!movable(t)) return;
      if (oldest === undefined || t.lru < oldest.lru || (t.lru === oldest.lru && this.tree.seqOf(t) < this.tree.seqOf(oldest))) oldest = t;
    });
    if (oldest === undefined) return undefined;
    let n = this.tree.size;
    let sum = this.sum;
    if (currentVruntime !== null) {
      n++;
      sum += currentVruntime - this.zero;
    }
    this.remove(oldest);
    this.leave(oldest, this.zero + floorDiv(sum, n));
    return oldest;
  }

  /** A CPU going down gives up every queued task, earliest deadline first (ties: queued first). */
  detachAll(): Task[] {
    const out = this.tree.inOrder();
    const v = this.zero + floorDiv(this.sum, Math.max(1, out.length));
    for (const t of out) this.leave(t, v);
    this.tree.clear();
    this.sum = 0;
    this.unpinnedCount = 0;
    return out;
  }

  attachMigrated(task: Task, currentVruntime: number | null = null): void {
    task.lru = ++this.used;
    task.delayedOn = -1;
    this.place(task, currentVruntime, false);
    this.insert(task);
  }

  /**
   * update_curr() at the tick: a used-up request is renewed; the task gives way, if anyone waits,
   * then or when it is neither protected nor eligible (did_preempt_short()).
   */
  tickPreempts(_ranNs: number, current: Task, currentVruntime: number): boolean {
    return this.updateCurr(current, currentVruntime, null);
  }

  /**
   * check_preempt_wakeup_fair(): update_curr()'s resched, or the woken task is now pick_eevdf()'s
   * choice. A woken task enqueued anew is not yet counted by the update_curr() that matters:
   * enqueue_entity() runs it before account_entity_enqueue() (kernel/sched/fair.c), and the one in
   * check_preempt_wakeup_fair() finds no time passed. A delayed task requeued in place was counted
   * all along (requeue_delayed_entity() runs no update_curr()).
   */
  wakeupPreempts(woken: Task, currentVruntime: number, current: Task, wokenCounted = false): boolean {
    return this.updateCurr(current, currentVruntime, wokenCounted ? null : woken) || this.best(current, currentVruntime) === woken;
  }

  /**
   * update_curr()'s resched: with another task queued, a renewed request or did_preempt_short().
   * `without`: a task on the queue that update_curr() does not see yet (the one being enqueued).
   */
  private updateCurr(current: Task, cv: number, without: Task | null): boolean {
    const renewed = this.renew(current, cv);
    const others = this.tree.size - (without === null ? 0 : 1);
    if (others === 0) return false;
    if (renewed || current.pickedDeadline === current.deadline) return renewed;
    const sum = this.sum - (without === null ? 0 : without.vruntime - this.zero);
    return !eligible(cv - this.zero, sum + (cv - this.zero), others + 1);
  }

  /**
   * pick_eevdf(): the task to run — `current` itself (given with its vruntime `cv`) where it keeps
   * the CPU, else a queued one — or null for an empty queue.
   */
  private best(current: Task | null, cv: number): Task | null {
    const n = this.tree.size + (current ? 1 : 0);
    if (n === 0) return null;
    const sum = current ? this.sum + (cv - this.zero) : this.sum;
    const currentEligible = current !== null && eligible(cv - this.zero, sum, n);
    if (currentEligible && current.pickedDeadline === current.deadline) return current;
    const best = this.tree.earliestEligible((v) => eligible(v - this.zero, sum, n));
    // entity_before(curr, best): the running task only on an earlier deadline.
    if (currentEligible && (best === undefined || current.deadline < best.deadline)) return current;
    return best ?? null;
  }

  /** update_deadline(): a task whose vruntime reached its deadline gets a new request; true if so. */
  private renew(task: Task, vruntime: number): boolean {
    if (vruntime < task.deadline) return false;
    task.deadline = vruntime + this.params.sliceNs;
    return true;
  }

  /** place_entity(): at V less the lag, scaled so that the task keeps its lag against the new V; then its deadline. */
  private place(task: Task, currentVruntime: number | null, initial: boolean): void {
    let n = this.tree.size;
    let sum = this.sum;
    if (currentVruntime !== null) {
      n++;
      sum += currentVruntime - this.zero;
    }
    const v = n > 0 ? this.zero + floorDiv(sum, n) : this.minVruntime;
    this.rebase(v);
    const lag = n > 0 && task.vlag !== 0 ? Math.trunc((task.vlag * (n + 1)) / n) : 0;
    task.vruntime = v - lag;
    if (task.relativeDeadline) {
      task.deadline += task.vruntime;
      task.relativeDeadline = false;
      return;
    }
    task.deadline = task.vruntime + (initial ? Math.floor(this.params.sliceNs / 2) : this.params.sliceNs);
  }

  /** update_entity_lag(): V − vruntime, within ±max(2 slices, a tick). */
  private lag(task: Task, v: number): number {
    const limit = Math.max(2 * this.params.sliceNs, this.params.tickNs);
    return Math.max(-limit, Math.min(limit, v - task.vruntime));
  }

  /** Its lag against `v` (V where it leaves), and its deadline made relative (PLACE_REL_DEADLINE). */
  private leave(t: Task, v: number): void {
    t.vlag = this.lag(t, v);
    t.deadline -= t.vruntime;
    t.relativeDeadline = true;
    t.delayedOn = -1;
  }

  /** Move `zero` to `to`: the sum follows, exactly. */
  private rebase(to: number): void {
    this.sum -= this.tree.size * (to - this.zero);
    this.zero = to;
  }

  private insert(task: Task): void {
    if (!task.pinned) this.unpinnedCount++;
    this.tree.insert(task, this.nextSeq++);
    this.sum += task.vruntime - this.zero;
  }

  private remove(task: Task): void {
    if (!task.pinned) this.unpinnedCount--;
    this.tree.remove(task);
    this.sum -= task.vruntime - this.zero;
  }
}

/** entity_eligible(): key × load ≤ Σ keys, with every weight 1. */
function eligible(key: number, sum: number, n: number): boolean {
  return key * n <= sum;
}

/** avg_vruntime()'s division: rounded down, negative sums included, exact where the quotient of doubles rounds up to an integer. */
function floorDiv(sum: number, n: number): number {
  let q = Math.floor(sum / n);
  if (q * n > sum) q--;
  else if ((q + 1) * n <= sum) q++;
  return q;
}

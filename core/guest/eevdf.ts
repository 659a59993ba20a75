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
 * - DELAY_DEQUEUE with DELAY_ZERO: a sleeper that is not eligible (entity_eligible(), V counting
 *   it) stays in the tree (dequeue_entity() sets se->sched_delayed and returns), counted in V and
 *   in the queue's length (nr_running, as 6.12 counts it; 6.13's h_nr_delayed is not modelled),
 *   burning off its negative lag. It leaves when pick_eevdf() picks it: pick_next_entity()
 *   dequeues it (DEQUEUE_DELAYED) with its lag clipped to 0 if positive
 *   (finish_delayed_dequeue_entity()) and the pick repeats (pick_task_fair()). Woken first, it
 *   wakes on this queue, no CPU selected (ttwu_runnable()): in place where its lag is still ≤ 0,
 *   else at V with lag 0 and a fresh request (requeue_delayed_entity()). The balancer may move it
 *   (can_migrate_task() does not test it): it stays delayed on its new queue. A CPU going down
 *   dequeues it as its pick would (balance_push()), a sleeper with its lag clipped.
 *   Model assumptions: a task that exits is never delayed (task_dead_fair() dequeues it at once);
 *   the load balancer's and the wake's V count the running task as of now, not its last update_curr().
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

  /** Tasks in the tree: the runnable and the delayed sleepers (6.12's nr_running counts both). */
  get length(): number {
    return this.tree.size;
  }

  get unpinned(): number {
    return this.unpinnedCount;
  }

  get sliceNs(): number {
    return this.params.sliceNs;
  }

  some(pred: (t: Task) => boolean, delayedToo = false): boolean {
    return this.tree.inOrder().some((t) => (delayedToo || t.delayedOn < 0) && pred(t));
  }

  enqueue(task: Task): void {
    // put_prev_entity() follows update_curr(): a request used up is renewed.
    this.renew(task, task.vruntime);
    this.insert(task);
  }

  enqueueWoken(task: Task, currentVruntime: number | null): boolean {
    if (this.wakesInPlace(task)) {
      this.requeueDelayed(task, currentVruntime);
      return true;
    }
    task.lru = ++this.used;
    this.place(task, currentVruntime, false);
    this.insert(task);
    return false;
  }

  /**
   * requeue_delayed_entity() (ttwu_runnable() → enqueue_task(ENQUEUE_DELAYED)): update_entity_lag()
   * with V counting it and the running task; a lag still ≤ 0 keeps its place, vruntime and
   * deadline; a positive one is clipped to 0 (DELAY_ZERO) and it is placed again, at V without
   * it, with a fresh request. Its place on the balancer's list (cfs_tasks) is not touched.
   */
  private requeueDelayed(task: Task, currentVruntime: number | null): void {
    task.delayedOn = -1;
    task.vlag = this.lag(task, this.avg(currentVruntime));
    if (task.vlag <= 0) return;
    this.remove(task);
    task.vlag = 0;
    this.place(task, currentVruntime, false);
    this.insert(task);
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
      // DELAY_DEQUEUE: set_delayed(), and put_prev_entity() puts it in the tree, as it does any
      // `curr` still on_rq.
      task.delayedOn = this.id;
      this.insert(task);
      return;
    }
    task.vlag = this.lag(task, this.zero + floorDiv(sum, n));
  }

  pickNext(): Task | undefined {
    let t = this.best(null, 0);
    // pick_next_entity(): a delayed sleeper picked is dequeued, and pick_task_fair() picks again.
    for (; t !== null && t.delayedOn >= 0; t = this.best(null, 0)) this.finishDelayed(t, null);
    if (t === null) return undefined;
    this.remove(t);
    t.lru = ++this.used;
    // set_next_entity(): the slice it is picked with is protected (RUN_TO_PARITY).
    t.pickedDeadline = t.deadline;
    this.minVruntime = Math.max(this.minVruntime, Math.min(t.vruntime, this.tree.leftmostVruntime));
    return t;
  }

  /** __schedule()'s pick with the running task still queued; a delayed sleeper picked on the way is dequeued (pick_next_entity()). */
  keepsCurrent(current: Task, currentVruntime: number): boolean {
    this.renew(current, currentVruntime);
    for (;;) {
      if (this.tree.size === 0) return true;
      const t = this.best(current, currentVruntime);
      if (t === null || t.delayedOn < 0) return t === current;
      this.finishDelayed(t, currentVruntime);
    }
  }

  /** ttwu_runnable(): a delayed sleeper is still queued (task_on_rq_queued()): it wakes where it is, whatever its lag. */
  wakesInPlace(task: Task): boolean {
    return task.delayedOn === this.id;
  }

  /**
   * detach_tasks(): the least recently used task that may move, its lag (V counting the running
   * task, `currentVruntime`) and relative deadline kept. A delayed sleeper is one of them (6.12's
   * can_migrate_task() does not test sched_delayed), and stays delayed (attachMigrated()).
   */
  detachForMigration(movable: (t: Task) => boolean, currentVruntime: number | null = null): Task | undefined {
    let oldest: Task | undefined;
    this.tree.forEach((t) => {
      if (!movable(t)) return;
      if (oldest === undefined || t.lru < oldest.lru || (t.lru === oldest.lru && this.tree.seqOf(t) < this.tree.seqOf(oldest))) oldest = t;
    });
    if (oldest === undefined) return undefined;
    const v = this.avg(currentVruntime);
    this.remove(oldest);
    this.leave(oldest, v);
    return oldest;
  }

  /**
   * A CPU going down gives up every runnable task, earliest deadline first (ties: queued first). A
   * delayed sleeper is not pushed: balance_push() meets it at its pick, which dequeues it
   * (DEQUEUE_DELAYED), a sleeper with its lag clipped to 0 if positive.
   */
  detachAll(): Task[] {
    const all = this.tree.inOrder();
    const v = this.avg(null);
    const out: Task[] = [];
    for (const t of all) {
      if (t.delayedOn >= 0) this.finishLag(t, v);
      else {
        this.leave(t, v);
        out.push(t);
      }
    }
    this.tree.clear();
    this.sum = 0;
    this.unpinnedCount = 0;
    return out;
  }

  attachMigrated(task: Task, currentVruntime: number | null = null): void {
    task.lru = ++this.used;
    // enqueue_task_fair() of a migrating task leaves se->sched_delayed as it was.
    if (task.delayedOn >= 0) task.delayedOn = this.id;
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
    const n = this.tree.size + (currentVruntime !== null ? 1 : 0);
    const v = this.avg(currentVruntime);
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

  /** avg_vruntime(): V over the tree, and the running task where there is one (`currentVruntime`). */
  private avg(currentVruntime: number | null): number {
    let n = this.tree.size;
    let sum = this.sum;
    if (currentVruntime !== null) {
      n++;
      sum += currentVruntime - this.zero;
    }
    return n > 0 ? this.zero + floorDiv(sum, n) : this.minVruntime;
  }

  /**
   * dequeue_entity(DEQUEUE_SLEEP | DEQUEUE_DELAYED) of a delayed sleeper that pick_eevdf() chose:
   * update_entity_lag() with V counting it (and the running task), then out of the tree.
   */
  private finishDelayed(t: Task, currentVruntime: number | null): void {
    const v = this.avg(currentVruntime);
    this.remove(t);
    this.finishLag(t, v);
    // update_min_vruntime(): the least of the running task and the tree, where there is one.
    const floor = Math.min(currentVruntime ?? Infinity, this.tree.leftmostVruntime);
    if (floor !== Infinity) this.minVruntime = Math.max(this.minVruntime, floor);
  }

  /** Its lag against `v`, then finish_delayed_dequeue_entity(): no longer delayed, a positive lag clipped to 0 (DELAY_ZERO). */
  private finishLag(t: Task, v: number): void {
    t.vlag = Math.min(0, this.lag(t, v));
    t.delayedOn = -1;
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

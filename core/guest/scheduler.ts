import type { Task } from './task.js';

/**
 * A CFS-like per-vCPU scheduler, reduced to what APF changes: each task accrues virtual runtime
 * while it is on the vCPU — including time the vCPU spends blocked or halted in the host, which
 * the guest cannot tell from running (PROTOCOLS.md §3 "scheduling") — the runnable task with the
 * least runs next, a tick preempts after a slice, and a woken sleeper, placed no further back than
 * half a scheduling latency, preempts the current task when it is a wakeup granularity behind.
 * Model assumption: one weight for all tasks; granularities as Linux scales them for 4 CPUs.
 */
export interface SchedParams {
  readonly sliceNs: number;
  readonly wakeupGranularityNs: number;
  readonly latencyNs: number;
}

export class RunQueue {
  private readonly tasks: Task[] = [];
  /** Monotonic floor of runnable vruntimes (cfs_rq.min_vruntime). */
  minVruntime = 0;

  constructor(private readonly params: SchedParams) {}

  get length(): number {
    return this.tasks.length;
  }

  /** Put a preempted (or new) task back. */
  enqueue(task: Task): void {
    this.tasks.push(task);
  }

  /**
   * Put a woken sleeper back, with sleeper credit capped at half the latency (place_entity(),
   * GENTLE_FAIR_SLEEPERS). The floor first catches up with the task on the vCPU, whose vruntime
   * (`currentVruntime`, up to now; null when the vCPU runs no task) grew while the sleeper slept:
   * update_min_vruntime() counts `curr` (kernel/sched/fair.c, CFS before EEVDF in 6.6). Without
   * that, a sleeper would keep credit for its whole sleep however long.
   */
  enqueueWoken(task: Task, currentVruntime: number | null = null): void {
    this.updateMinVruntime(currentVruntime);
    task.vruntime = Math.max(task.vruntime, this.minVruntime - this.params.latencyNs / 2);
    this.tasks.push(task);
  }

  /** update_min_vruntime(): the floor catches up with the running task and the queued ones; it never goes back. */
  private updateMinVruntime(currentVruntime: number | null): void {
    let floor = currentVruntime ?? Infinity;
    for (const x of this.tasks) if (x.vruntime < floor) floor = x.vruntime;
    if (floor !== Infinity) this.minVruntime = Math.max(this.minVruntime, floor);
  }

  /**
   * Put a new (forked) task on the queue: place_entity() for a new entity starts it no earlier than
   * the queue's floor, so that it neither jumps ahead of the tasks already there by its zero
   * vruntime nor waits behind them. (START_DEBIT's extra slice before EEVDF is not modelled.)
   */
  enqueueNew(task: Task, currentVruntime: number | null = null): void {
    this.updateMinVruntime(currentVruntime);
    task.vruntime = Math.max(task.vruntime, this.minVruntime);
    this.tasks.push(task);
  }

  /** The runnable task with the least vruntime; ties go to the one queued first. */
  pickNext(): Task | undefined {
    if (this.tasks.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.tasks.length; i++) if (this.tasks[i].vruntime < this.tasks[best].vruntime) best = i;
    const [t] = this.tasks.splice(best, 1);
    let min = t.vruntime;
    for (const x of this.tasks) if (x.vruntime < min) min = x.vruntime;
    this.minVruntime = Math.max(this.minVruntime, min);
    return t;
  }

  /**
   * detach_one_task(): take the most recently queued task that may move (`movable`) for another
   * CPU's run queue, its vruntime made relative to this queue's floor (it becomes absolute again
   * on the queue it joins, attachMigrated()).
   */
  detachForMigration(movable: (t: Task) => boolean): Task | undefined {
    for (let i = this.tasks.length - 1; i >= 0; i--) {
      const t = this.tasks[i];
      if (!movable(t)) continue;
      this.tasks.splice(i, 1);
      t.vruntime -= this.minVruntime;
      return t;
    }
    return undefined;
  }

  /** The other half of a migration: the task joins this queue relative to its floor. */
  attachMigrated(task: Task): void {
    task.vruntime += this.minVruntime;
    this.tasks.push(task);
  }

  /** check_preempt_tick(): the current task ran a slice and someone else is waiting. */
  tickPreempts(ranNs: number): boolean {
    return this.tasks.length > 0 && ranNs >= this.params.sliceNs;
  }

  /** check_preempt_wakeup(): the woken task is more than a granularity behind the current one. */
  wakeupPreempts(woken: Task, currentVruntime: number): boolean {
    return woken.vruntime + this.params.wakeupGranularityNs < currentVruntime;
  }
}

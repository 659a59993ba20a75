import type { Task } from './task.js';

/**
 * A vCPU's run queue of the guest's fair class, whichever policy the guest kernel has: CFS (Linux
 * before 6.6, core/guest/cfs.ts) or EEVDF (6.6 on, core/guest/eevdf.ts); both in
 * kernel/sched/fair.c of their time. The queue holds the runnable tasks but not the one running,
 * whose vruntime up to now the caller passes in where a rule needs it (update_curr()); under EEVDF
 * also the delayed sleepers (DELAY_DEQUEUE), until picked or woken.
 */
export interface RunQueue {
  /** Tasks queued (the running one is not): the runnable and, under EEVDF, the delayed sleepers (6.12's nr_running). */
  readonly length: number;
  /** Queued tasks that the balancer may move at all (not pinned), delayed sleepers included. */
  readonly unpinned: number;
  /** The slice the policy gives a task (CFS: what the tick lets it run; EEVDF: its request). */
  readonly sliceNs: number;
  /** A floor of the queue's vruntimes (cfs_rq.min_vruntime): a migrating task is made relative to it. */
  readonly minVruntime: number;
  /** Whether a runnable queued task satisfies `pred`; `delayedToo`: a delayed sleeper counts too (the balancer's rq->cfs_tasks holds it). */
  some(pred: (t: Task) => boolean, delayedToo?: boolean): boolean;
  /** Put a preempted task back (put_prev_entity()). */
  enqueue(task: Task): void;
  /**
   * A woken task joins (enqueue_entity() with ENQUEUE_WAKEUP): `currentVruntime` is the running
   * task's, null if none. True where it was requeued in place, on the queue all along (a delayed task).
   */
  enqueueWoken(task: Task, currentVruntime: number | null): boolean;
  /** A new task joins (wake_up_new_task(), ENQUEUE_INITIAL). */
  enqueueNew(task: Task, currentVruntime: number | null): void;
  /** The running task sleeps (dequeue_entity() with DEQUEUE_SLEEP); its vruntime is up to date. */
  dequeueSleep(task: Task): void;
  /** pick_next_entity(): the task to run next, off the queue (delayed sleepers picked on the way are dequeued). */
  pickNext(): Task | undefined;
  /** At a resched: whether the pick would give the CPU back to the running task (then no switch happens). */
  keepsCurrent(current: Task, currentVruntime: number): boolean;
  /** A woken sleeper that is still on this queue (delayed) and wakes here, not where select_task_rq() would send it (ttwu_runnable()). */
  wakesInPlace(task: Task): boolean;
  /** detach_tasks(): the least recently used task that may move, a delayed sleeper included; `currentVruntime` is the running task's here, null if none. */
  detachForMigration(movable: (t: Task) => boolean, currentVruntime?: number | null): Task | undefined;
  /** A CPU going down: its runnable tasks, off the queue; a delayed sleeper is dequeued and not among them. */
  detachAll(): Task[];
  /** The other half of a migration: `currentVruntime` is the running task's here, null if none. */
  attachMigrated(task: Task, currentVruntime: number | null): void;
  /** The tick's test (and update_curr()'s): should the running task give way now? */
  tickPreempts(ranNs: number, current: Task, currentVruntime: number): boolean;
  /**
   * check_preempt_wakeup_fair() (formerly check_preempt_wakeup()): should the woken task (already on this queue) preempt the running one?
   * `wokenCounted`: it was on the queue all along (a delayed task requeued in place), so the
   * running task's update_curr() saw it; otherwise that update came before it was counted.
   */
  wakeupPreempts(woken: Task, currentVruntime: number, current: Task, wokenCounted?: boolean): boolean;
}


import type { Task } from '../guest/task.js';
import type { JobsSpec, TaskSpec } from '../scenario/schema.js';
import * as sched from './guest-sched.js';
import type { Machine } from './machine.js';
import type { Vcpu } from './vcpu.js';

/**
 * A job set (a kernel build: facts/arm64.md §7 v1, facts/anchors.md §A7 "Kernel build shape"):
 * `make -jN` keeps N jobs running, each a short-lived process, and starts the next one when one
 * exits (its wait() returns), until all have run. The fork is the guest's: wake_up_new_task()
 * places the child on the CPU fork balancing picks (select_task_rq_fair() with SD_BALANCE_FORK →
 * sched_balance_find_dst_cpu()), with place_entity()'s start for a new entity. The set is finished
 * when its last process exits, and that is its completion time (a build's time).
 */
export class JobSet {
  /** Processes created so far (the first `concurrent` at the start of the run). */
  started = 0;
  exited = 0;

  constructor(
    readonly spec: TaskSpec,
    readonly jobs: JobsSpec,
  ) {}

  /** Processes the set runs in all; Infinity for a set that runs as long as the run lasts. */
  get total(): number {
    return this.jobs.total ?? Number.POSITIVE_INFINITY;
  }

  /** Processes to create at the start: make starts min(N, total) jobs at once. */
  get initial(): number {
    return Math.min(this.jobs.concurrent, this.total);
  }
}

/**
 * One of the set's processes exited at `t` on its vCPU: start the next one in its place (it takes
 * the exited one's kernel stack slot), unless the set has run them all or the window has closed.
 * True when this was the set's last process.
 */
export function jobExited(sim: Machine, set: JobSet, task: Task): boolean {
  set.exited++;
  if (set.started < set.total && !sim.draining) {
    const k = set.started++;
    const vcpu = set.spec.vcpu ?? findIdlestCpu(sim, task.vcpu).id;
    const child = sim.createTask(set.spec, vcpu, `${set.spec.name}/${k}`, task);
    sched.wakeUpNewTask(sim, child);
  }
  return set.exited === set.total;
}

/**
 * sched_balance_find_dst_cpu() for a fork, reduced to one LLC domain (as idleBalance() is): the
 * vCPU with the fewest tasks — the one running, plus the runnable — and on a tie the parent's own
 * vCPU (make runs where its child exited: the local group wins when it is not busier), then the
 * lowest-numbered. A vCPU blocked in the host with a task on it is busy, as the guest sees it.
 */
export function findIdlestCpu(sim: Machine, parent: number): Vcpu {
  let best = sim.vcpus[parent].down ? sched.fallbackCpu(sim) : sim.vcpus[parent];
  let bestLoad = load(best);
  for (const v of sim.vcpus) {
    const l = load(v);
    if (l < bestLoad) {
      best = v;
      bestLoad = l;
    }
  }
  return best;
}

function load(v: Vcpu): number {
  // A CPU taken down (or going) is not in the fork's search (cpu_active_mask).
  if (v.down || v.goingDown) return Infinity;
  return v.runq.length + (v.current !== null ? 1 : 0);
}

/**
 * do_exit() of a task that ran all its passes: exit_mmap() gives its frames back to the guest's
 * free pages (the files it wrote stay cached), and the exit is counted. True when it completes its
 * group: a task when it exits, a job set once, when its last process exits (a build's time).
 */
export function exitTask(sim: Machine, sets: ReadonlyMap<string, JobSet>, task: Task, t: number): boolean {
  if (task.mm !== null) task.mm.release(sim.freePages!, sim.pageCache);
  if (sim.metrics.measuring) sim.metrics.taskExits.add(task.group);
  const set = sets.get(task.group);
  if (set !== undefined && !jobExited(sim, set, task)) return false;
  if (sim.metrics.measuring) sim.metrics.completions.push({ group: task.group, ns: t });
  return true;
}

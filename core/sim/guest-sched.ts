import { codeFrame } from '../guest/code-layout.js';
import type { Task } from '../guest/task.js';
import { EV_TICK } from './events.js';
import * as guest from './guest-kernel.js';
import type { Machine } from './machine.js';
import type { Vcpu } from './vcpu.js';

/**
 * The guest scheduler's points, as Linux 6.12's kernel/sched/core.c has them: the tick
 * (sched_tick(); scheduler_tick() until 86dd6c04ef9f), TIF_NEED_RESCHED and where it is honoured
 * (preempt_schedule_irq(), cond_resched(), the return to user), picking the next task, and waking
 * one (try_to_wake_up(), wakeup_preempt(), formerly check_preempt_curr()). The run queue itself
 * is core/guest/run-queue.ts (kernel/sched/fair.c).
 */

export function onTick(sim: Machine, v: Vcpu): void {
  if (!sim.draining) sim.queue.pushInOrder(sim.now + sim.tickNs, EV_TICK, v.id, 0);
  // NO_HZ idle: no tick to an idle vCPU (a task halted in the guest is not idle: it keeps its tick).
  if ((v.mode === 'idle' && !v.guestHalted) || v.mode === 'off') return;
  v.tickPending = true;
  // The host timer makes a vCPU in guest mode exit even where the guest masks the interrupt.
  if (v.mode === 'run' && v.segment && v.irqsMasked) {
    v.maskedArrival();
    sim.preempt(v, sim.now);
    v.exited = true;
    sim.schedule(v, v.cursor);
    return;
  }
  sim.interrupt(v);
}

/** sched_tick(): once the slice is used, ask for a resched; the preemption model decides where. */
export function schedulerTick(sim: Machine, v: Vcpu): void {
  if (v.current && v.runq.tickPreempts(v.cursor - v.sliceStart, v.current, currentVruntime(v)!)) v.needResched = true;
  nohzBalancerKick(sim, v);
  periodicBalance(sim, v);
}

/**
 * sched_balance_domains() from the tick (trigger_load_balance()), for one domain of all the vCPUs
 * (one LLC, as idleBalance() assumes): when its interval is up, a busy vCPU pulls one task from the
 * vCPU running the most, where that one runs at least two more (kernel/sched/fair.c
 * calculate_imbalance(): with tasks of one weight, moving one then lessens the imbalance; a
 * difference of one is left, as sched_balance_rq() leaves it until its failures mount; a task that
 * ran within 0.5 ms moves only once two balances failed, pullTask()). The interval is sd->balance_interval (from the vCPU count in ms, doubled up to twice
 * that while nothing moves, back to the start when a task moved) × busy_factor 16, less a jiffy,
 * within HZ × CPUs / 10 jiffies (get_sd_balance_interval(); sd_init() in topology.c). CPUs are
 * the ones up: a hotplug rebuilds the domain over the active CPUs (its sd_weight), and the cap
 * follows num_online_cpus() (update_max_interval()). Not modelled: active balancing of a running task.
 */
function periodicBalance(sim: Machine, v: Vcpu): void {
  if (sim.draining || v.current === null || v.cursor < v.nextBalance) return;
  const n = cpusUp(sim);
  if (n < 2) return;
  if (v.balanceIntervalMs === 0) v.balanceIntervalMs = n;
  let busiest: Vcpu | null = null;
  for (const o of sim.vcpus) if (o !== v && o.runq.unpinned > 0 && (busiest === null || nrRunning(o) > nrRunning(busiest))) busiest = o;
  if (busiest !== null && nrRunning(busiest) - nrRunning(v) >= 2) {
    // An imbalance: the interval starts again from its least; a failure is counted (sched_balance_rq()).
    v.balanceIntervalMs = n;
    const moved = pullTask(sim, v, busiest);
    if (moved === undefined || moved === 'hot') v.balanceFailed++;
    else {
      v.balanceFailed = 0;
      // attach_task() → wakeup_preempt(): the task it brought may be the better one to run.
      if (v.runq.wakeupPreempts(moved, currentVruntime(v)!, v.current)) v.needResched = true;
    }
  } else {
    // out_balanced: nothing to do, and the next look is later.
    v.balanceFailed = 0;
    if (v.balanceIntervalMs < 2 * n) v.balanceIntervalMs *= 2;
  }
  // msecs_to_jiffies() of the busy interval, less a jiffy, within HZ × CPUs / 10 jiffies.
  const jiffies = Math.ceil((v.balanceIntervalMs * 16 * 1e6) / sim.tickNs) - 1;
  v.nextBalance = v.cursor + Math.min(Math.max(jiffies, 1), Math.floor((n * 1e8) / sim.tickNs)) * sim.tickNs;
}

/** The CPUs not taken down (the active ones; cpu-hotplug.ts's rescales count them too). */
export function cpusUp(sim: Machine): number {
  let n = 0;
  for (const o of sim.vcpus) if (!o.down) n++;
  return n;
}

/** rq->nr_running: queued (EEVDF's delayed sleepers too, as 6.12 counts them), and the one running. */
function nrRunning(v: Vcpu): number {
  return v.runq.length + (v.current !== null ? 1 : 0);
}

/**
 * sched_balance_trigger() (formerly trigger_load_balance()) → nohz_balancer_kick(): a CPU with a task waiting beside the one it runs
 * kicks the idle CPUs, whose balance pulls work (_nohz_idle_balance() balances for each idle
 * CPU). Without it a vCPU idle already never took the tasks a downed CPU pushed onto CPU 0: it
 * pulled only on its way to idle. Only where a queued task may move at all.
 */
function nohzBalancerKick(sim: Machine, v: Vcpu): void {
  if (sim.draining || v.current === null || v.runq.unpinned === 0 || sim.idleVcpus.size === 0) return;
  // The idle balance runs for every idle CPU but wakes only those it gives a task: at most one per
  // task here that may move (waking all 62 idle vCPUs of a 64-vCPU guest for 4 tasks cost 59 HLT
  // exits). A vCPU halted in the guest's own wait is not idle to Linux (nohz.idle_cpus_mask).
  let tasks = v.runq.unpinned;
  // No copy of the set: leaveWait() takes the vCPU out of it, which the iteration allows.
  for (const id of sim.idleVcpus) {
    if (tasks === 0) return;
    const o = sim.vcpus[id];
    if (o.mode !== 'idle' || o.guestHalted || o.down || o.goingDown) continue;
    tasks--;
    sim.leaveWait(o);
  }
}

/**
 * Where the current task yields to TIF_NEED_RESCHED, by machine.preemption: on its way back to
 * user always (`user-return`: exit_to_user_mode_loop(), whatever the task does next); in the
 * kernel with interrupts on, at an interrupt's exit under `full` (preempt_schedule_irq()), at the
 * explicit points between the accesses of a kernel step (might_sleep(), cond_resched()) under
 * `voluntary` and `full`, and under `full` at the preempt_enable() that ends a preemptoff section
 * (even where the next step disables preemption again); under `none`, never.
 */
export function maybeResched(sim: Machine, v: Vcpu, point: 'irq-exit' | 'kernel-step' | 'user-return'): void {
  // The run loop asks at a kernel step's end once, after the entry's own check: that one uses the flag up.
  const preemptEnable = point === 'kernel-step' && v.preemptEnabled;
  if (point === 'kernel-step') v.preemptEnabled = false;
  if (!v.needResched || !v.current) return;
  // Exception code on the stack is kernel code, whatever context a harness forced on the task.
  if (point !== 'user-return' && (v.privilege !== 'user' || v.frames.length > 0)) {
    const atPreemptEnable = preemptEnable && sim.preemption === 'full' && v.frames.length === 0;
    if (!atPreemptEnable && (v.irqsMasked || v.preemptDisabled)) return;
    if (point === 'irq-exit' ? sim.preemption !== 'full' : sim.preemption === 'none') return;
  }
  switchOut(sim, v);
}

/**
 * Take the current task off the vCPU, charging the time it held it to its vruntime; one that goes
 * to sleep leaves its run queue (dequeue_entity() with DEQUEUE_SLEEP: EEVDF keeps its lag).
 */
export function deschedule(sim: Machine, v: Vcpu, sleep = false): Task {
  const t = v.current!;
  t.vruntime += v.cursor - v.sliceStart;
  t.offCpuAt = v.cursor;
  v.current = null;
  if (sleep) v.runq.dequeueSleep(t);
  return t;
}

function switchOut(sim: Machine, v: Vcpu): void {
  v.needResched = false;
  // __schedule() picks with the running task still queued: where it wins the fair class's pick,
  // nothing switches. The hotplug thread (core/sim/cpu-hotplug.ts) is of a higher class: it runs.
  if (!v.goingDown && v.runq.keepsCurrent(v.current!, currentVruntime(v)!)) return;
  const t = deschedule(sim, v);
  t.state = 'runnable';
  v.runq.enqueue(t);
}

/**
 * A flagged task sleeps on its way back to user mode (do_notify_resume()), and only there: a
 * flagged task in kernel mode goes on and faults again (facts/arm64.md §1a). `returning`: an
 * exception's or system call's way out to user, whatever the task's next step is (a system call
 * straight after it enters the kernel again, but only after this).
 */
export function returnToUser(sim: Machine, v: Vcpu, returning = false): void {
  const t = v.current;
  // Exception code still on the stack is kernel code, whatever context a harness forced on the task.
  if (t && t.flaggedToken >= 0 && (returning || (v.privilege === 'user' && v.frames.length === 0))) {
    const token = t.flaggedToken;
    t.flaggedToken = -1;
    const flagger = sim.vcpus[t.flaggedOn];
    // Lab-only: KVM traces nothing here; the report's diagram draws the sleep where it happens.
    if (sim.options.trace) sim.trace(v, 'apf_lab_flagged_sleep', { task: t.pid, token });
    guest.waitSchedule(sim, v, token, flagger !== undefined && flagger !== v && flagger.sleepTable.has(token, t.id) ? flagger : v);
  }
}

export function pickNext(sim: Machine, v: Vcpu): boolean {
  for (let t = v.runq.pickNext(); t; t = v.runq.pickNext()) {
    // The drain takes no new work, except a task's access still waiting for its page: it runs to
    // complete that access (startSegment() then retires it), so that the fault's latency is counted.
    if (sim.draining && t.faultStart < 0) {
      t.state = 'exited';
      continue;
    }
    t.state = 'running';
    v.current = t;
    v.needResched = false;
    v.irqWindow = false;
    v.sliceStart = v.cursor;
    // __schedule(): the switch runs with the run-queue lock held (a phase RFCv2's delayed wake cares about).
    if (sim.contextSwitchCode) t.frames.push(codeFrame(sim.contextSwitchCode, null));
    if (sim.metrics.measuring) sim.metrics.contextSwitches++;
    return true;
  }
  return false;
}

/**
 * sched_balance_newidle() (newidle_balance() until 7d058285cd77): a vCPU about to go idle pulls a runnable task from the vCPU with the longest
 * run queue (one LLC domain: a small guest's vCPUs share it). A task that may not move — pinned by
 * the scenario, in the middle of exception code, flagged to sleep at its return to user, or waiting
 * on a cross-call — stays. True if a task came.
 */
export function idleBalance(sim: Machine, v: Vcpu): boolean {
  // The busiest first (the most queued, the lowest-numbered of equals); where nothing there may
  // move, sched_balance_rq() (formerly load_balance()) takes that CPU out of the search and looks again (LBF_ALL_PINNED): a vCPU
  // stayed idle for a whole run beside two tasks sharing another, its search stopped at a queue of
  // pinned ones.
  // A queue whose every task is pinned is passed over in the same scan, with no list built: at
  // every idle of a guest of pinned tasks that was a sort of all the vCPUs.
  let busiest: Vcpu | null = null;
  for (const o of sim.vcpus) if (o !== v && o.runq.unpinned > 0 && (busiest === null || o.runq.length > busiest.runq.length)) busiest = o;
  if (busiest === null) return false;
  const first = pullTask(sim, v, busiest);
  if (first !== undefined) return first !== 'hot';
  // Rare: unpinned tasks, none movable now (in exception code, flagged, waiting on a cross-call).
  // Cache-hot ones end the search as they would in Linux (they clear LBF_ALL_PINNED).
  const others = sim.vcpus.filter((o) => o !== v && o !== busiest && o.runq.unpinned > 0).sort((a, b) => b.runq.length - a.runq.length || a.id - b.id);
  for (const o of others) {
    const t = pullTask(sim, v, o);
    if (t !== undefined) return t !== 'hot';
  }
  return false;
}

/** sysctl_sched_migration_cost: a task that ran this recently is cache hot (task_hot()). */
const MIGRATION_COST_NS = 500_000;

/**
 * detach_tasks() of one task from `from` to `v`: the task moved; 'hot' where the only tasks that
 * could move ran within the last 0.5 ms (can_migrate_task() refuses them until the domain's
 * balances have failed more than cache_nice_tries, 1 for an LLC: sd_init()); undefined where none
 * may move at all.
 */
function pullTask(sim: Machine, v: Vcpu, from: Vcpu): Task | 'hot' | undefined {
  // Every task there pinned: nothing to scan for (a queue of 49,999 pinned tasks was scanned whole
  // at every idle, 55-80 us an event).
  if (from.runq.unpinned === 0) return undefined;
  const may = (x: Task) => !x.pinned && x.frames.length === 0 && x.flaggedToken < 0 && x.csd === null;
  const cold = (x: Task) => v.balanceFailed > 1 || v.cursor - x.offCpuAt >= MIGRATION_COST_NS;
  const t = from.runq.detachForMigration((x) => may(x) && cold(x), currentVruntime(from));
  if (t === undefined) return from.runq.some(may, true) ? 'hot' : undefined;
  t.vcpu = v.id;
  migrated(t);
  v.runq.attachMigrated(t, currentVruntime(v));
  if (sim.metrics.measuring) sim.metrics.migrations++;
  return t;
}

export function onTimer(sim: Machine, task: Task): void {
  if (task.state !== 'timer') return;
  makeRunnable(sim, task);
}

export function makeRunnable(sim: Machine, task: Task): void {
  task.state = 'runnable';
  task.sleepToken = -1;
  const v = selectTaskRq(sim, task);
  // A delayed task requeued in place was on the queue all along (ttwu_runnable()).
  const counted = v.runq.enqueueWoken(task, currentVruntime(v));
  checkPreemptWakeup(sim, v, task, counted);
}

/**
 * try_to_wake_up() → select_task_rq_fair() → select_idle_sibling(): a woken task goes back to its
 * previous vCPU when that one is idle, else to the first idle vCPU after it (select_idle_cpu()
 * scans the LLC from target + 1; one LLC, as idleBalance() assumes), else to its previous vCPU
 * (kernel/sched/fair.c); a target is one in HLT/WFI (one taking an interrupt on the idle stack, idle
 * to Linux too, is only recognised as prev). Without it a vCPU that went idle once never got work back: tasks piled on
 * the vCPUs that had pulled them (hostile test: 4 tasks on one of 4 vCPUs for 4.6 s, APF at 0.25×
 * sync). Not modelled: wake_affine()'s pull toward the waker's CPU, and the reschedule IPI's exit.
 */
function selectTaskRq(sim: Machine, task: Task): Vcpu {
  const prev = sim.vcpus[task.vcpu];
  // ttwu_runnable() comes first: still queued on prev (EEVDF's DELAY_DEQUEUE), it wakes there, no CPU selected.
  if (prev.runq.wakesInPlace(task)) return prev;
  // A task whose CPU went down wakes on the fallback CPU (is_cpu_allowed() refuses an inactive one).
  if (prev.down) {
    const to = fallbackCpu(sim);
    moveTask(sim, task, prev, to);
    // migrate_task_rq_fair(), as moveSleeper() does: its vruntime relative to the old queue, then
    // absolute on the new. Kept absolute, a sleeper of a busy CPU waited ~170 ms on an idler one.
    task.vruntime += to.runq.minVruntime - prev.runq.minVruntime;
    return to;
  }
  if (idleVcpu(prev) || task.pinned || task.csd !== null || task.flaggedToken >= 0) return prev;
  // The first after prev, in wrap order, of those in HLT/WFI: a set, not a scan of every vCPU, so
  // that a busy 256-vCPU machine pays nothing per wake (as SIS_UTIL stops Linux's scan on a busy LLC).
  const n = sim.vcpus.length;
  let target: Vcpu | null = null;
  let distance = n;
  for (const id of sim.idleVcpus) {
    const d = (id - prev.id + n) % n;
    if (d > 0 && d < distance && idleVcpu(sim.vcpus[id])) {
      target = sim.vcpus[id];
      distance = d;
    }
  }
  return target !== null && moveSleeper(sim, task, prev, target) ? target : prev;
}

/**
 * idle_cpu() (kernel/sched/syscalls.c): the idle task is current and nothing is queued (rq->nr_running,
 * a delayed sleeper counted; one going idle has dequeued them all at its pick) — in HLT/WFI,
 * or taking an interrupt on the idle task's stack (mode 'run' with no task). A task halted in the
 * guest is not idle, nor is a vCPU blocked or halted in the host with its task on it.
 */
function idleVcpu(v: Vcpu): boolean {
  return (v.mode === 'idle' || v.mode === 'run') && !v.guestHalted && v.current === null && v.runq.length === 0;
}

/**
 * Move a woken task to `to` (set_task_cpu(); migrate_task_rq_fair() makes its vruntime relative to
 * the old queue, the enqueue absolute on the new). Its kernel stack moves with it: the way out of
 * the exception it slept in returns on the vCPU it now runs on. A frame bound to anything else of
 * the old vCPU (a handler, a halted wait) keeps it there.
 */
function moveSleeper(sim: Machine, task: Task, from: Vcpu, to: Vcpu): boolean {
  const rebind = rebinder(from, to);
  if (task.frames.some((f) => f.haltToken >= 0 || (f.then !== null && rebind(f.then) === f.then))) return false;
  rebindFrames(task, rebind);
  task.vruntime += to.runq.minVruntime - from.runq.minVruntime;
  task.vcpu = to.id;
  migrated(task);
  if (sim.metrics.measuring) sim.metrics.migrations++;
  return true;
}

/**
 * enqueue_entity() with ENQUEUE_MIGRATED sets se->exec_start = 0 (kernel/sched/fair.c): a task that
 * moved is cache-cold to task_hot() until it runs again, whenever it last ran.
 */
function migrated(task: Task): void {
  task.offCpuAt = -Infinity;
}

/** select_fallback_rq(): the first CPU of the node that is up (one node: the lowest-numbered). */
export function fallbackCpu(sim: Machine): Vcpu {
  return sim.vcpus.find((o) => !o.down && !o.goingDown) ?? sim.vcpus[0];
}

/**
 * A task leaves a CPU that went down: its affinity is broken (select_fallback_rq() widens a pinned
 * task's mask to every CPU), and its kernel stack's way back is rebound to the new CPU, as
 * moveSleeper() does, whatever else the stack holds: the old CPU will not run it.
 */
export function moveTask(sim: Machine, task: Task, from: Vcpu, to: Vcpu): void {
  rebindFrames(task, rebinder(from, to));
  task.pinned = false;
  task.vcpu = to.id;
  migrated(task);
  if (sim.metrics.measuring) sim.metrics.migrations++;
}

type Then = (() => void) | null;

/** A frame's way back to the old vCPU's return paths, made the new one's; anything else is kept. */
function rebinder(from: Vcpu, to: Vcpu): (then: Then) => Then {
  return (then) => (then === from.returnToUser ? to.returnToUser : then === from.returnToKernel ? to.returnToKernel : then);
}

function rebindFrames(task: Task, rebind: (then: Then) => Then): void {
  for (let i = 0; i < task.frames.length; i++) task.frames[i] = { ...task.frames[i], then: rebind(task.frames[i].then) };
}

/** wake_up_new_task(): a forked task joins its vCPU's run queue as a new entity, then as a wake. */
export function wakeUpNewTask(sim: Machine, task: Task): void {
  task.state = 'runnable';
  // Placed at fork (core/sim/jobs.ts findIdlestCpu(), the WF_FORK path), not again as a wake; a
  // CPU the scenario pinned it to that is down sends it to the fallback, unpinned.
  if (sim.vcpus[task.vcpu].down) {
    task.vcpu = fallbackCpu(sim).id;
    task.pinned = false;
  }
  const v = sim.vcpus[task.vcpu];
  v.runq.enqueueNew(task, currentVruntime(v));
  checkPreemptWakeup(sim, v, task);
}

/** The running task's vruntime up to now (update_curr()), or null when the vCPU runs none. */
export function currentVruntime(v: Vcpu): number | null {
  const cur = v.current;
  return cur ? cur.vruntime + Math.max(0, v.cursor - v.sliceStart) : null;
}

/** An idle vCPU leaves its wait; a busy one is asked to resched if the task should preempt (check_preempt_wakeup_fair(); check_preempt_wakeup() in CFS kernels). */
export function checkPreemptWakeup(sim: Machine, v: Vcpu, task: Task, counted = false): void {
  if (v.mode === 'idle') return sim.leaveWait(v);
  const cur = v.current;
  const curVruntime = currentVruntime(v);
  if (cur && curVruntime !== null && v.runq.wakeupPreempts(task, curVruntime, cur, counted)) {
    v.needResched = true;
    sim.interrupt(v);
  }
}

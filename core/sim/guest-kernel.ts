import type { GuestCall, GuestCallResult, GuestKernel } from '../backend.js';
import { haltFrame } from '../guest/code-layout.js';
import type { WakeContext, WakeResult } from '../guest/sleep-table.js';
import { CALL_FLOOR_NS, type CallSingleData } from '../guest/smp.js';
import type { Task } from '../guest/task.js';
import { EV_IPI, EV_IPI_DONE } from './events.js';
import type { Machine } from './machine.js';
import type { Vcpu } from './vcpu.js';

/**
 * The guest kernel's side of the simulation, as Linux cuts it: the async-PF sleep and wake of
 * arch/x86/kernel/kvm.c (and Gavin Shan's arm64 kvm.c), the services a backend's guest half calls
 * (GuestKernel), and smp_call_function_single() with its IPI (kernel/smp.c). Functions of the
 * Machine they act on (PROTOCOLS.md §3).
 */

// ---------------------------------------------------------------- guest kernel (PROTOCOLS.md §3)

/**
 * The task on `v` sleeps on `token`, in the sleep table of vCPU `on`: its own CPU's, or the one
 * that flagged it where the design entered it there (v4's kvm_async_pf_add_task() points the
 * task's thread.data at that CPU's wait queue, which only that CPU's wake clears), wherever the
 * task has moved since (a CPU taken down moves it).
 */
export function waitSchedule(sim: Machine, v: Vcpu, token: number, on: Vcpu = v): void {
  const task = v.current;
  if (!task) return;
  const entered = on.sleepTable.enter(token, task.id);
  if (entered !== 'queued') return tokenFound(sim, entered); // the wake came first: eat the dummy, go on
  sim.monitor.onSleep(v.cursor, on.id, task.name, token);
  sim.deschedule(v, true);
  task.state = 'sleeping';
  task.sleepToken = token;
}

export function wake(sim: Machine, v: Vcpu, token: number): void {
  sim.monitor.onGuestReady(v.cursor, v.id, token);
  applyWake(sim, v.sleepTable.wake(token, wakeContext(v)));
}

/** Who wakes, for a design that delays a wake (WakeSemantics.delayedWake): the task on this CPU and the rq lock. */
function wakeContext(v: Vcpu): WakeContext {
  return { current: v.current?.id ?? -1, rqLocked: v.rqLocked };
}

function applyWake(sim: Machine, r: WakeResult): void {
  for (const id of r.unflagged) sim.tasks[id].flaggedToken = -1;
  for (const id of r.woken) {
    const t = sim.tasks[id];
    if (t.state === 'sleeping') sim.makeRunnable(t);
  }
  // A halted waiter on this vCPU sees its entry gone when the wait is next checked (its halt frame).
  if (r.delayed > 0 && sim.metrics.measuring) sim.metrics.archEvents.add('wake delayed (the sleeper is current, or the run-queue lock is held)');
}

/**
 * kvm_async_pf_delayed_wake(), where the design calls it (`ret_to_user`, `__cpu_do_idle()`):
 * finish the wakes that were only marked, each checked again.
 */
export function flushDelayedWakes(sim: Machine, v: Vcpu): void {
  if (!v.sleepTable.hasDelayed) return;
  applyWake(sim, v.sleepTable.flushDelayed(wakeContext(v)));
}

/**
 * The halt branch of the guest's wait (GuestKernel.asyncPfTaskWaitHalt): the task (or the idle
 * task) stays on the CPU, and a halt frame on its kernel stack keeps the vCPU halting until the
 * token is unhashed (core/sim/guest-entry.ts stepFrames()).
 */
export function waitHalt(sim: Machine, v: Vcpu, token: number): void {
  const entered = v.sleepTable.queueHalted(token, v.current?.id ?? -1);
  if (entered !== 'queued') return tokenFound(sim, entered); // the wake came first
  v.frames.push(haltFrame(token));
  if (sim.metrics.measuring) sim.metrics.archEvents.add('halted in the guest (not sleepable)');
}

/** A hazard where the guest freed a sleeper's on-stack node for a dummy (SleepTable.enter()). */
export const FREED_SLEEPER_HAZARD = "not-present for a token a task still sleeps on: the guest frees the sleeper's on-stack node as a dummy and never wakes it";

function tokenFound(sim: Machine, entered: 'ate-dummy' | 'freed-live'): void {
  if (entered === 'freed-live' && sim.metrics.measuring) sim.metrics.hazards.add(FREED_SLEEPER_HAZARD);
}

export function flag(sim: Machine, v: Vcpu, token: number): boolean {
  const t = v.current;
  if (!t || !v.sleepTable.flag(token, t.id)) return false;
  t.flaggedToken = token;
  t.flaggedOn = v.id;
  return true;
}

export function guestKernelFor(sim: Machine, v: Vcpu): GuestKernel {
  return new VcpuGuestKernel(sim, v);
}

/**
 * One vCPU's GuestKernel. A class rather than an object literal: a literal with a getter gets a
 * hidden class of its own per object, so the backends' calls through it (at every fault) would see
 * a new shape on every vCPU of every run and never settle.
 */
class VcpuGuestKernel implements GuestKernel {
  constructor(
    private readonly sim: Machine,
    private readonly v: Vcpu,
  ) {}

  asyncPfTaskWaitSchedule(token: number): void {
    waitSchedule(this.sim, this.v, token);
  }
  asyncPfTaskWaitHalt(token: number): void {
    waitHalt(this.sim, this.v, token);
  }
  asyncPfTaskWake(token: number): void {
    wake(this.sim, this.v, token);
  }
  flagAsyncPfAtReturnToUser(token: number): boolean {
    return flag(this.sim, this.v, token);
  }
  requestIrq(line: number, handler: () => void): void {
    this.v.irqHandlers.set(line, handler);
  }
  call(call: GuestCall): GuestCallResult {
    const { sim, v } = this;
    const running = v.mode === 'run';
    const { result, exit, kind } = sim.backend.guestCall(v, call);
    sim.hostExit(v, exit, kind);
    // A wait the call itself entered (startAsyncPf() refused and blocked the vCPU, or a disable
    // waiting for its works) begins after the exit's round trip, so that no time is counted twice;
    // the calls the same guest code makes next (the rest of a CPU-down callback) are
    // taken before that wait too, not inside it.
    if (v.mode !== 'run' && (running || v.apf.cancelling.size > 0)) v.modeSince = Math.max(v.modeSince, v.cursor);
    return result;
  }
  charge(ns: number): void {
    this.sim.charge(this.v, 'kernel', ns);
  }
  get currentTask(): string | null {
    return this.v.current?.name ?? null;
  }
}

// ---------------------------------------------------------------- guest kernel: cross-calls (PROTOCOLS.md §3 "IPIs")

/**
 * smp_call_function_single(wait=1): queue the request and send the IPI once, then spin in
 * csd_lock_wait() until the target has run it. The spin is an open segment that the unlock (or
 * any interrupt the sender takes meanwhile) cuts short; preemption is off, so nothing else runs.
 */
export function callFunctionSingle(sim: Machine, v: Vcpu, task: Task, step: { target: number; handlerNs: number }): boolean {
  // A task that moved onto its own target runs the function locally, interrupts off, as
  // generic_exec_single() does for this CPU (a target fixed at the start is compiled so already).
  // generic_exec_single() refuses a CPU that is not online: -ENXIO at once, no IPI (kernel/smp.c;
  // counted in `ipi.refused`). A CPU on its way down is online until take_cpu_down() clears it from
  // cpu_online_mask (kernel/cpu.c): through its CPU-down callback (and a disable's wait for its
  // works) a call to it is queued and waits; only a CPU whose teardown is done ('off') refuses. Either way the call takes time (at least CALL_FLOOR_NS) and sends
  // nothing: the step ends at an event of its own, so that a program of such calls goes on through
  // the run (within one event it tripped the run loop's guard against spinning after 66 calls) and
  // ticks and reads come between them.
  if (task.csd === null && sim.vcpus[step.target].mode === 'off') {
    if (sim.metrics.measuring) sim.metrics.ipisRefused++;
    sim.charge(v, 'kernel', CALL_FLOOR_NS);
    sim.advance(v, task);
    sim.schedule(v, v.cursor);
    return true;
  }
  if (task.csd === null && step.target === v.id) {
    sim.charge(v, 'kernel', Math.max(CALL_FLOOR_NS, step.handlerNs));
    sim.advance(v, task);
    sim.schedule(v, v.cursor);
    return true;
  }
  if (task.csd === null) sendCallFunctionIpi(sim, v, task, step);
  else if (task.csd.doneAt >= 0) {
    task.csd = null;
    sim.advance(v, task);
    return false;
  }
  v.beginSegment(v.cursor, Infinity, 0, false, false, 0);
  sim.dropStep(v);
  return true;
}

/** The send traps where the backend says so (an interrupt-controller register write); the IPI lands after it. */
export function sendCallFunctionIpi(sim: Machine, v: Vcpu, task: Task, step: { target: number; handlerNs: number }): void {
  const csd: CallSingleData = { id: sim.csdId++, from: v.id, task: task.id, target: step.target, handlerNs: step.handlerNs, sentAt: v.cursor, doneAt: -1 };
  const exit = sim.backend.caps.ipi.sendExit;
  if (exit) sim.hostExit(v, exit.name, exit.kind);
  if (sim.metrics.measuring) sim.metrics.ipis++;
  task.csd = csd;
  sim.csds.set(csd.id, csd);
  sim.queue.push(v.cursor, EV_IPI, csd.id, 0);
}

/**
 * The IPI reaches its target. Without posted-interrupt delivery a target running guest code is
 * kicked out first; a halted or idle target wakes; one blocked in a synchronous fault takes it
 * only once its page is in, and one with interrupts off only when it turns them on (PROTOCOLS.md §3 "IPIs").
 */
export function onIpi(sim: Machine, id: number): void {
  const csd = sim.csds.get(id)!;
  const t = sim.vcpus[csd.target];
  // Sent while the target was online: its flush on the way down (smpcfd_dying_cpu()) ran it. One
  // still on its way down queues it, for its handler or that flush (takeCpuDown()).
  if (t.mode === 'off') return void sim.queue.push(sim.now, EV_IPI_DONE, csd.id, 0);
  t.csdQueue.push(csd);
  if (sim.backend.caps.ipi.kickRunningTarget && t.mode === 'run') sim.kick(t);
  sim.raiseIrq(t, sim.backend.caps.ipi.line, 'other', false);
}

/** The guest's handler on the call-function line; a backend that claimed the line is a bug. */
export function requestCallFunctionIrq(sim: Machine, v: Vcpu): void {
  const line = sim.backend.caps.ipi.line;
  if (v.irqHandlers.has(line)) throw new Error(`vCPU ${v.id}: the backend uses interrupt line ${line}, which is its call-function IPI line`);
  v.guest.requestIrq(line, () => flushCallSingleQueue(sim, v));
}

/** generic_smp_call_function_single_interrupt(): run every queued request, unlocking each as it finishes. */
export function flushCallSingleQueue(sim: Machine, v: Vcpu): void {
  for (const csd of v.csdQueue.splice(0)) {
    sim.charge(v, 'kernel', csd.handlerNs);
    sim.queue.push(v.cursor, EV_IPI_DONE, csd.id, 0);
  }
}

/** csd_unlock() seen by the spinning sender: its wait ends and its step goes on. */
export function onCsdUnlocked(sim: Machine, id: number): void {
  const csd = sim.csds.get(id)!;
  sim.csds.delete(id);
  csd.doneAt = sim.now;
  if (sim.metrics.measuring && csd.sentAt < sim.measureEnd) sim.metrics.ipiWaits.push(sim.now - csd.sentAt);
  const v = sim.vcpus[csd.from];
  if (v.current !== sim.tasks[csd.task] || v.mode !== 'run' || !v.segment) return;
  sim.preempt(v, sim.now);
  sim.schedule(v, v.cursor);
}


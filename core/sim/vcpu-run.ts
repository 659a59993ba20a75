import { startCpuDown, takeCpuDown } from './cpu-hotplug.js';
import * as entry from './guest-entry.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import * as completion from './async-pf-completion.js';
import * as irq from './irq.js';
import type { Machine } from './machine.js';
import { account, finishSegment, hostExit, preempt, startSegment } from './segment.js';
import type { Vcpu } from './vcpu.js';

/**
 * The vCPU run loop, as KVM has it: vcpu_run() and vcpu_enter_guest() of arch/x86/kvm/x86.c
 * (requests, then injection, then the guest runs until its next exit), and the waits of
 * virt/kvm/kvm_main.c (kvm_vcpu_halt()/kvm_vcpu_block(), kvm_vcpu_kick(), kvm_vcpu_wake_up(),
 * kvm_arch_vcpu_runnable()).
 */

/** The vCPU is free to go on: process requests and injections at entry, then run a task. */
export function onStep(sim: Machine, v: Vcpu): void {
  if (v.mode !== 'run') return;
  sync(sim, v);
  // A kernel step's explicit preemption points lie between its accesses: a segment that ran out.
  // Only the task's own segment: the end of exception code (an interrupt taken in the middle of
  // an access) returns into that access, and PREEMPT_VOLUNTARY does not preempt there.
  let betweenAccesses = false;
  if (v.segment) {
    const ownStep = !v.segment.phase;
    if (finishSegment(sim, v)) return;
    betweenAccesses = ownStep;
  }
  // A section that ended any other way (cut at its last nanosecond by an exit) leaves no point behind.
  if (!betweenAccesses) v.preemptEnabled = false;
  // Each pass schedules something, waits, or takes a task off the run queue (a sleep step),
  // so a pass count beyond the tasks that exist is a loop.
  const limit = 2 * sim.tasks.length + 64;
  for (let pass = 0; pass < limit; pass++) {
    if (v.mode !== 'run') return;
    // A handler (or the end of a way out) follows its code at once, before anything new is taken.
    if (entry.finishFrame(sim, v)) continue;
    enterGuest(sim, v);
    if (v.mode !== 'run') return;
    if (betweenAccesses) sched.maybeResched(sim, v, 'kernel-step');
    // A section that ended without a segment of its own (a cross-call done in startSegment()):
    // its preempt_enable() is checked here, and under `full` only; the flag goes either way.
    else if (v.preemptEnabled) {
      if (sim.preemption === 'full') sched.maybeResched(sim, v, 'kernel-step');
      v.preemptEnabled = false;
    }
    betweenAccesses = false;
    // Exception code on the kernel stack of what runs comes before the task's own step.
    const frames = entry.stepFrames(sim, v);
    if (frames === 'busy') return;
    if (frames === 'popped') continue;
    if (!v.current) {
      // The hotplug thread runs here, where the CPU would pick its next task: its callback first.
      if (v.goingDown && !v.down) {
        startCpuDown(sim, v);
        continue;
      }
      if (v.goingDown) return takeCpuDown(sim, v);
      if (!sched.pickNext(sim, v)) {
        if (!sim.draining && sched.idleBalance(sim, v)) continue;
        goIdle(sim, v);
        return;
      }
      continue; // its context switch (a frame) runs first
    }
    if (startSegment(sim, v)) return;
  }
  sim.abort(`vCPU ${v.id} made no progress in ${limit} passes of its run loop`);
}

/**
 * vcpu_enter_guest() and what the guest does first: pending requests (page-ready), the
 * injected event, interrupts if unmasked, a resched, and a flagged task's sleep on its way
 * back to user. Public so that a test can drive one protocol step (core/harness.ts).
 */
export function enterGuest(sim: Machine, v: Vcpu): void {
  sync(sim, v);
  // Requests are looked at on the way back in after an exit, not between two guest instructions.
  if (v.apf.readyRequested && v.exited) {
    v.apf.readyRequested = false;
    completion.checkCompletion(sim, v);
  }
  v.exited = false;
  const exception = v.injected !== null || v.irqException;
  // An exception taken through the vectors enters with interrupts off (x86's interrupt gate clears
  // IF; arm64 sets PSTATE.I): a pending interrupt waits for its handler to turn them on again.
  const viaVector = v.irqException || v.injected?.exception !== undefined;
  if (v.injected) irq.takeInjected(sim, v);
  if (v.irqException) irq.takeIrqException(sim, v);
  if (!exception) irq.checkIrqVsRefault(sim, v);
  if (!viaVector) irq.takeInterrupts(sim, v);
  irq.requestIrqWindow(sim, v);
  if (v.mode !== 'run') return;
  // A flagged task in user mode sleeps before any resched: v4's do_notify_resume() looks at
  // TIF_ASYNC_PF first (exceptionReturn()).
  sched.returnToUser(sim, v);
  if (v.mode === 'run') sched.maybeResched(sim, v, 'irq-exit');
}

/**
 * Nothing to run: the guest idles in HLT/WFI, which exits (no halt polling modelled). A design
 * with delayed wakes finishes them first (RFCv2's hook in `__cpu_do_idle()`).
 */
function goIdle(sim: Machine, v: Vcpu): void {
  guest.flushDelayedWakes(sim, v);
  entry.idleExit(sim, v);
}

/** Would the instruction the vCPU resumes at take a stage-2 fault (D1.13.4 hazard input)? */
export function resumeWouldFault(sim: Machine, v: Vcpu): boolean {
  if (v.frames.length > 0) return entry.phaseWouldFault(sim, v);
  const t = v.current;
  if (t !== null && t.zeroingGfn >= 0) return !sim.memory.isResident(t.zeroingGfn);
  return t !== null && t.nextPage >= 0 && !sim.memory.isResident(t.nextPage);
}

/** The vCPU's own time never lags the engine's clock. */
export function sync(sim: Machine, v: Vcpu): void {
  if (v.cursor < sim.now) v.cursor = sim.now;
}

/** kvm_vcpu_halt()/kvm_vcpu_block(), or a synchronous fault: the vCPU stops running guest code. */
export function enterWait(sim: Machine, v: Vcpu, mode: 'sync' | 'halt' | 'idle'): void {
  v.mode = mode;
  if (mode === 'idle') sim.idleVcpus.add(v.id);
  v.modeSince = v.cursor;
  if (mode === 'idle' && runnableByApf(sim, v)) v.idleSpinFrom = v.modeSince;
  sim.dropStep(v); // nothing scheduled for this vCPU survives a wait
  // QEMU's blocktime counts a vCPU thread in a userfault of its own: a synchronous fault on a
  // page (syncGfn). Not the APF halt, where the vCPU thread sleeps in kvm_vcpu_block() and the async
  // worker faults (core/host/postcopy-blocktime.ts), nor a wait for anything else.
  if (mode === 'sync' && v.syncGfn >= 0) sim.blocktime?.begin(v.id, v.modeSince);
}

/**
 * The measured window closed at `t`: the vCPU's wait and the segment under way are accounted up to
 * it, and go on from there (in the drain, or not at all).
 */
export function closeAt(sim: Machine, v: Vcpu, t: number): void {
  closeWait(sim, v, t);
  if (v.segment) {
    preempt(sim, v, t);
    sim.schedule(v, v.cursor);
  }
}

/** Account the wait so far as sync, halt or idle time. */
export function closeWait(sim: Machine, v: Vcpu, t: number): void {
  if (v.mode === 'off') {
    // A CPU taken down idles in its dead loop (core/sim/cpu-hotplug.ts).
    account(sim, 'idle', v.modeSince, t);
    v.modeSince = t;
  } else if (v.mode === 'idle' && v.idleSpinFrom >= 0) {
    closeIdleSpin(sim, v, t);
  } else if (v.mode === 'sync' || v.mode === 'halt' || v.mode === 'idle') {
    account(sim, v.mode, v.modeSince, t);
    v.modeSince = t;
  }
}

/**
 * A spinning idle wait, up to `t`: the vCPU thread is in the host (each HLT exits, vcpu_block()
 * finds the vCPU runnable and re-enters), one HLT exit per round trip. The guest's few
 * instructions between two HLTs are not priced (an assumption: the exit's round trip dominates).
 * The exits are counted from where the spin began, so that closing it in pieces counts the same.
 */
function closeIdleSpin(sim: Machine, v: Vcpu, t: number): void {
  const roundTrip = sim.backend.costs.exitNs.idle;
  const from = v.modeSince;
  const done = (at: number) => Math.floor((at - v.idleSpinFrom) / roundTrip);
  // Only the round trips inside the measured window count, as the time does.
  const exits = done(Math.min(t, sim.measureEnd)) - done(from);
  if (exits > 0 && sim.metrics.measuring) sim.metrics.exits.add(sim.backend.exitNames.idle, exits);
  account(sim, 'host', from, t);
  v.modeSince = t;
}

/**
 * What made the vCPU runnable was cleared (the done list by a migration's or a disable's clear, v4's
 * pending flags on a migration's destination): a spinning idle wait blocks from here, as
 * vcpu_block() then finds the vCPU not runnable.
 */
export function endIdleSpin(sim: Machine, v: Vcpu): void {
  if (v.mode !== 'idle' || v.idleSpinFrom < 0 || runnableByApf(sim, v)) return;
  closeWait(sim, v, Math.max(sim.now, v.modeSince));
  v.idleSpinFrom = -1;
}

/** Does a wait on this vCPU spin rather than block (Backend.apfRunnable())? */
function runnableByApf(sim: Machine, v: Vcpu): boolean {
  return sim.backend.apfRunnable(v);
}

/**
 * async_pf_execute()'s __kvm_vcpu_wake_up() after a completion: an APF halt or a guest HLT where
 * the done list now makes the vCPU runnable stops blocking. The halt returns to the guest, which
 * faults again (a spin of repeated faults until the page is in or the list drains); the idle
 * HLT loop spins in HLT exits (closeIdleSpin()) until something gives the guest work.
 */
export function completionWake(sim: Machine, v: Vcpu): void {
  if (v.mode === 'idle' && v.idleSpinFrom < 0 && runnableByApf(sim, v)) {
    closeWait(sim, v, sim.now);
    v.idleSpinFrom = sim.now;
  }
  wakeUp(sim, v);
}

/** The wait ends: the vCPU runs again from now. */
export function leaveWait(sim: Machine, v: Vcpu): void {
  // A wait entered inside this vCPU's own step ends no earlier than it began.
  const t = Math.max(sim.now, v.modeSince);
  closeWait(sim, v, t);
  if (v.mode === 'sync' || v.mode === 'halt') sim.blocktime?.end(v.id, t);
  v.idleSpinFrom = -1;
  v.mode = 'run';
  sim.idleVcpus.delete(v.id);
  v.cursor = t;
  v.exited = true;
  sim.schedule(v, t);
}

/** kvm_vcpu_kick(): a vCPU in guest mode exits so that a request is seen at the next entry. */
export function kick(sim: Machine, v: Vcpu): void {
  // A vCPU in guest mode exits at once; one between two steps would see the kick on its way in.
  if (v.mode === 'run') v.exited = true;
  if (v.mode === 'run' && v.segment) {
    preempt(sim, v, sim.now);
    hostExit(sim, v, sim.backend.exitNames.kick, 'kick');
    sim.schedule(v, v.cursor);
  } else {
    wakeUp(sim, v);
  }
}

/**
 * The host's scheduler tick on the vCPU thread's CPU: a vCPU in guest mode exits on the host's
 * timer interrupt and sees its requests on the way back in; one blocked or halted in the host is
 * not running, so the tick leaves it alone.
 */
export function hostTick(sim: Machine, v: Vcpu): void {
  if (v.mode === 'run' && v.segment) kick(sim, v);
}

/**
 * kvm_vcpu_wake_up(): a vCPU blocked in the host (halt or idle) re-checks whether it may run; one
 * running guest code is left alone and sees the request at its next entry.
 */
export function wakeUp(sim: Machine, v: Vcpu): void {
  if ((v.mode === 'halt' || v.mode === 'idle') && wakesFromWait(sim, v)) leaveWait(sim, v);
}

/** mp_state = RUNNABLE: a guest halt or the APF halt ends; a synchronous fault does not. */
export function setRunnable(sim: Machine, v: Vcpu): void {
  if (v.mode === 'halt' || v.mode === 'idle') leaveWait(sim, v);
}

/** kvm_arch_vcpu_runnable(): completions to dequeue, or any where the arch says so, or a deliverable interrupt end a wait. */
export function wakesFromWait(sim: Machine, v: Vcpu): boolean {
  if (v.hasDeliverableIrq()) return true;
  if (v.apf.readyRequested && v.apf.done.length > 0 && sim.backend.canDequeueAsyncPagePresent(v).ok) return true;
  // An APF halt the arch's async-PF state makes runnable returns to the guest (Backend.apfRunnable()),
  // which faults on its page again; an idle HLT's spin is accounted without leaving (closeIdleSpin()).
  if (v.mode === 'halt' && runnableByApf(sim, v)) return true;
  // A task woken in the guest ends an idle wait; a halted task's wait ends only by its wake or an interrupt.
  return v.mode === 'idle' && !v.guestHalted && v.runq.length > 0;
}

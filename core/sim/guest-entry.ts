import { codeFrame, entryFrame, topFrame, type ExceptionClass, type KernelFrame, type Privilege } from '../guest/code-layout.js';
import { faultLatencyDone } from './fault-latency.js';
import * as guest from './guest-kernel.js';
import * as sched from './guest-sched.js';
import * as host from './host-async-pf.js';
import type { Machine } from './machine.js';
import type { Vcpu } from './vcpu.js';

/**
 * The guest's exception entry and exit, as Linux runs them (arch/arm64/kernel/entry.S and
 * entry-common.c; arch/x86/entry/entry_64.S and common.c): an exception pushes its vector stub,
 * entry code and C entry code onto the kernel stack of what runs; the handler runs once they are
 * done, then the way out. Each phase is guest time with a PC in a known region
 * (core/guest/code-layout.ts), touches its kernel page (which may stage-2 fault), and can be cut
 * by an exit; an exception injected there is counted as unsafe when the phase cannot take one
 * (RunMetrics.unsafeInjections). The guest's halted wait is a frame too.
 */

/**
 * Take an exception of class `cls` from the current context: its entry code runs, then
 * `handler` with the interrupted context as the CPU state (user_mode(regs)), then the way back
 * to where it came from. The way out goes on the stack of the task it interrupted, under anything
 * the handler left there (a halted wait runs before it), even if the handler put that task to sleep.
 */
export function takeException(sim: Machine, v: Vcpu, cls: ExceptionClass, handler: () => void): void {
  const from: Privilege = v.privilege;
  v.frames.push(entryFrame(sim.backend.caps.codeLayout.entry(cls, from), handler, from));
}

/** The way out of an exception, back to `to`: its code, then exceptionReturn(). */
export function exitFrame(sim: Machine, v: Vcpu, to: Privilege): KernelFrame {
  return codeFrame(sim.backend.caps.codeLayout.exit(to), to === 'user' ? v.returnToUser : v.returnToKernel);
}

/** Count an exception delivered into code that cannot take one (the interrupted phase is non-reentrant). */
export function noteUnsafeInjection(sim: Machine, v: Vcpu): void {
  const phase = v.phase;
  if (phase?.nonReentrant && sim.metrics.measuring) sim.metrics.unsafeInjections.add(phase.region);
}

/**
 * The end of an exception's way out. Back to user: RFCv2's delayed wakes are finished in
 * `ret_to_user`, a flagged task goes to sleep, and a resched is honoured — in that order: the
 * designs that flag a task (v4) put their TIF_ASYNC_PF sleep at the top of do_notify_resume(),
 * before its TIF_NEED_RESCHED schedule() (gwshan/linux arch/arm64/kernel/signal.c, v4 13/15;
 * upstream's loop, and x86's exit_to_user_mode_loop(), schedule first, but no x86 design flags a
 * task). Back to the kernel, a resched only where the preemption model allows
 * (preempt_schedule_irq()).
 */
export function exceptionReturn(sim: Machine, v: Vcpu, to: Privilege): void {
  if (v.mode !== 'run') return;
  if (to === 'user') guest.flushDelayedWakes(sim, v);
  sched.returnToUser(sim, v, to === 'user');
  sched.maybeResched(sim, v, to === 'user' ? 'user-return' : 'irq-exit');
}

/**
 * Run the top frame of the current kernel stack: 'busy' once a phase is under way or the vCPU
 * waits (a fault on the phase's page, a halted wait), 'popped' when a frame finished (its `then`
 * ran), 'empty' when there is nothing to run but the task's own step.
 */
export function stepFrames(sim: Machine, v: Vcpu): 'busy' | 'popped' | 'empty' {
  const stack = v.frames;
  const f = topFrame(stack);
  if (f === undefined) return 'empty';
  if (f.haltToken >= 0) {
    if (v.sleepTable.has(f.haltToken)) {
      idleExit(sim, v);
      return 'busy';
    }
    stack.pop();
    return 'popped';
  }
  if (f.idx >= f.phases.length) return finishFrame(sim, v) ? 'popped' : 'empty';
  const phase = f.phases[f.idx];
  if (!f.touched && phase.touches !== null) {
    const gfn = sim.kernelPageGfn(v, phase.touches);
    if (gfn >= 0 && !sim.memory.isResident(gfn)) {
      host.stage2Fault(sim, v, gfn);
      return 'busy';
    }
    if (gfn >= 0) sim.memory.touch(gfn, true);
    faultLatencyDone(sim, f.faultStart, v.cursor);
    f.faultStart = -1;
  }
  f.touched = true;
  // The phases after it whose pages are in run as one segment, their pages touched now, as a
  // task's touches are batched (README "Assumptions"); an exit that cuts it lands in the phase its
  // time reached. It stops before a phase whose page is missing, which faults when it starts.
  let planned = Math.max(0, phase.ns - f.doneNs);
  let end = f.idx + 1;
  for (; end < f.phases.length; end++) {
    const next = f.phases[end];
    const gfn = next.touches === null ? -1 : sim.kernelPageGfn(v, next.touches);
    if (gfn >= 0 && !sim.memory.isResident(gfn)) break;
    if (gfn >= 0) sim.memory.touch(gfn, true);
    planned += next.ns;
  }
  v.beginSegment(v.cursor, planned, 0, false, true, end);
  sim.schedule(v, v.cursor + planned);
  return 'busy';
}

/**
 * The top frame's phases are all run: pop it and run what follows (the handler, or the end of the
 * way out) before anything else is taken at this entry. True if there was one.
 */
export function finishFrame(sim: Machine, v: Vcpu): boolean {
  const stack = v.frames;
  const f = topFrame(stack);
  if (f === undefined || f.haltToken >= 0 || f.idx < f.phases.length) return false;
  stack.pop();
  if (f.returnTo === null) {
    f.then?.();
    return true;
  }
  // An exception's handler, then its way out on this same stack (takeException()).
  const depth = stack.length;
  f.then!();
  const exit = exitFrame(sim, v, f.returnTo);
  // Most handlers leave nothing on the stack: then it is a push, which splice() does slowly.
  if (depth === stack.length) stack.push(exit);
  else stack.splice(depth, 0, exit);
  return true;
}

/** The phase's kernel page, where the exception code touches it first, if it is still missing. */
export function phaseWouldFault(sim: Machine, v: Vcpu): boolean {
  const stack = v.frames;
  const f = topFrame(stack);
  const phase = f !== undefined && f.haltToken < 0 && !f.touched && f.idx < f.phases.length ? f.phases[f.idx] : null;
  if (phase === null || phase.touches === null) return false;
  const gfn = sim.kernelPageGfn(v, phase.touches);
  return gfn >= 0 && !sim.memory.isResident(gfn);
}

/** The guest executes HLT/WFI: an exit, and the vCPU waits until an interrupt or work wakes it. */
export function idleExit(sim: Machine, v: Vcpu): void {
  sim.hostExit(v, sim.backend.exitNames.idle, 'idle');
  sim.enterWait(v, 'idle');
  // A request still pending (a refused dequeue re-raises it) keeps the vCPU runnable.
  if (sim.wakesFromWait(v)) sim.leaveWait(v);
}

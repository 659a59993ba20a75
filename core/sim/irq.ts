import * as entry from './guest-entry.js';
import * as sched from './guest-sched.js';
import type { Machine } from './machine.js';
import { charge, hostExit, preempt } from './segment.js';
import { newIrqLine, type Vcpu } from './vcpu.js';

/**
 * Interrupt and event delivery at guest entry, as KVM does it in arch/x86/kvm/x86.c
 * (kvm_check_and_inject_events(), called inject_pending_event() until e746c1f1b94a) with the lines
 * of lapic.c / the vGIC: the injected event, an emulated IRQ exception, the pending lines in the
 * order the interrupt controller gives them, the tick, and the D1.13.4 race between a pending
 * interrupt and a re-faulting instruction. Raising a line wakes or preempts its vCPU (kvm_vcpu_kick()).
 */

/** Guest kernel time for one timer tick (model assumption, README "Assumptions"). */
const TICK_HANDLER_NS = 1000;
/** Lost races in a row at one entry before the interrupt is taken anyway (a share of 1 is a livelock). */
const MAX_LOST_RACES = 1000;

const IRQ_EXCEPTION = 'IRQ exception (emulated)';
const IRQ_NAMES: string[] = [];
function irqName(line: number): string {
  return (IRQ_NAMES[line] ??= `irq ${line}`);
}

/**
 * The injected event is taken at this entry. An exception (Backend InjectedEvent.exception)
 * goes through the vector table: counted as unsafe if the code it interrupts cannot take one,
 * then its entry code runs before the handler. An event with its own entry runs its handler now.
 */
export function takeInjected(sim: Machine, v: Vcpu): void {
  const ev = v.injected!;
  v.injected = null;
  if (sim.metrics.measuring) sim.metrics.injections.add(ev.name);
  // Delivering it is work at this entry (an exception's injection, an event's dispatch): the backend's price.
  charge(sim, v, 'host', ev.exception !== undefined ? sim.backend.costs.injectNs.exception : sim.backend.costs.injectNs.event);
  if (ev.exception !== undefined) entry.noteUnsafeInjection(sim, v);
  if (ev.signal === 'not-present' && ev.token !== null) announceNotPresent(sim, v, ev.token);
  if (ev.exception === undefined) return ev.handler();
  entry.takeException(sim, v, ev.exception, ev.handler);
}

/** The guest takes a not-present (an event or an interrupt line): counted and checked (invariants 1, 4). */
function announceNotPresent(sim: Machine, v: Vcpu, token: number): void {
  if (sim.metrics.measuring) sim.metrics.notPresentDelivered++;
  const arch = sim.backend.conditions(v);
  const kernel = v.privilege === 'kernel';
  const masked = v.irqsMasked;
  // The usual case, user mode with interrupts on, builds no list of its own.
  const conditions = kernel || masked ? [...(kernel ? ['kernel-mode'] : []), ...(masked ? ['irqs-masked'] : []), ...arch] : arch;
  sim.monitor.onGuestNotPresent(v.cursor, v.id, token, conditions);
}

/**
 * Entering straight at an instruction that stage-2 faults with a signal interrupt pending:
 * where the architecture does not order the two, the wake-up may wait for the fault (the
 * backend names the hazard). The model then takes the interrupt first.
 */
export function checkIrqVsRefault(sim: Machine, v: Vcpu): void {
  const race = sim.backend.caps.irqVsRefault;
  if (race === null) return;
  // The cheap question first: most entries have no signal pending.
  let signal = false;
  for (const l of v.irqLines) if (l.pending && l.enabled && l.signal !== 'other') signal = true;
  if (!signal || v.irqsMasked || !v.resumeWouldFault) return;
  if (sim.metrics.measuring) sim.metrics.hazards.add(race.hazard);
  // Each time the fault wins, the instruction exits again as a repeated fault and re-enters.
  for (let n = 0; n < MAX_LOST_RACES && sim.irqRace.float() < race.faultFirstShare; n++) {
    if (sim.metrics.measuring) sim.metrics.repeatedFaults++;
    hostExit(sim, v, sim.backend.exitNames.stage2Fault, 'stage2Fault', sim.backend.costs.stage2FaultNs);
  }
}

/**
 * An IRQ exception the host emulated: the guest enters its IRQ vector, its interrupt
 * controller driver takes whatever is pending (possibly nothing), and it returns as from any
 * interrupt (facts/arm64.md §4 "How Linux finishes an event").
 */
export function takeIrqException(sim: Machine, v: Vcpu): void {
  v.irqException = false;
  if (sim.metrics.measuring) sim.metrics.injections.add(IRQ_EXCEPTION);
  v.irqExceptionHandler ??= () => {
    for (let guard = 0; guard < 64 && v.mode === 'run' && takeOne(sim, v); guard++);
  };
  entry.takeException(sim, v, 'irq', v.irqExceptionHandler);
}

/**
 * Interrupts unmasked: the first pending one (line, then tick) is taken through the IRQ vector;
 * the next ones after it returns, when interrupts are on again.
 */
export function takeInterrupts(sim: Machine, v: Vcpu): void {
  if (v.mode !== 'run') return;
  // An asked-for window exits at the unmask whatever is pending by then (vmx.c clears it only there).
  if (v.irqWindowRequested && !v.irqsMasked) {
    v.irqWindowRequested = false;
    const window = sim.backend.caps.ipi.irqWindowExit!;
    hostExit(sim, v, window.name, window.kind);
    // The exit comes back through vcpu_enter_guest(): its requests first (page-ready; the 2010
    // host checked completions after every exit, facts/x86.md §2 "2010 ready path"), then an
    // injected exception before any interrupt (kvm_check_and_inject_events()). Page-ready waited for
    // the next exit of another kind: 572 ms at p50 behind irqoff sections.
    if (v.apf.readyRequested) {
      v.apf.readyRequested = false;
      sim.checkCompletion(v);
    }
    v.exited = false;
    if (v.injected) return takeInjected(sim, v);
  }
  if (!v.hasDeliverableIrq()) return;
  v.irqVectorHandler ??= () => {
    v.irqsEntered--;
    takeOne(sim, v);
  };
  v.irqsEntered++;
  entry.takeException(sim, v, 'irq', v.irqVectorHandler);
}

/**
 * The end of an entry: an interrupt still pending here waits on the guest's mask (masked code, an
 * exception's entry, or the handler of the one just taken), and the host may ask for an exit at
 * the unmask (Backend caps.ipi.irqWindowExit; KVM's enable_irq_window()). A vCPU that goes on to
 * halt or block is not entering the guest, so nothing is asked.
 */
export function requestIrqWindow(sim: Machine, v: Vcpu): void {
  if (v.mode !== 'run' || sim.backend.caps.ipi.irqWindowExit === null) return;
  // The lab's line stays pending until the handler reads it; one whose vector was entered is not waiting.
  let waiting = v.tickPending ? 1 - v.irqsEntered : -v.irqsEntered;
  for (const l of v.irqLines) if (l.pending && l.enabled) waiting++;
  if (waiting > 0) v.irqWindowRequested = true;
}

/** The interrupt controller hands over the next pending interrupt and its handler runs; false when nothing is pending. */
function takeOne(sim: Machine, v: Vcpu): boolean {
  const line = nextPendingLine(sim, v);
  if (line >= 0) {
    const l = v.irqLine(line)!;
    l.pending = false;
    if (sim.metrics.measuring) sim.metrics.injections.add(irqName(line));
    charge(sim, v, 'host', sim.backend.costs.injectNs.irq); // interrupt injection at entry
    if (l.signal === 'not-present' && l.token !== null) announceNotPresent(sim, v, l.token);
    const handler = v.irqHandlers.get(line);
    if (handler) handler();
    // A level line still asserted after its handler fires again (GIC level semantics).
    if (l.level && l.asserted) l.pending = true;
    eoi(sim, v, line);
    return true;
  }
  if (v.tickPending) {
    v.tickPending = false;
    charge(sim, v, 'kernel', TICK_HANDLER_NS);
    sched.schedulerTick(sim, v);
    const e = sim.backend.caps.eoiExit;
    if (e !== null && e.tick && eoiExits(e, v)) hostExit(sim, v, e.exit.name, e.exit.kind);
    return true;
  }
  return false;
}

/** The guest's EOI after the handler: an exit where the interrupt controller makes it one (Backend caps.eoiExit). */
function eoi(sim: Machine, v: Vcpu, line: number): void {
  const e = sim.backend.caps.eoiExit;
  if (e !== null && e.lines.includes(line) && eoiExits(e, v)) hostExit(sim, v, e.exit.name, e.exit.kind);
}

/** An EOI that may exit does, on a running vCPU, where its controller asks for nothing else pending or something is. */
function eoiExits(e: NonNullable<Machine['backend']['caps']['eoiExit']>, v: Vcpu): boolean {
  return v.mode === 'run' && (!e.whenPending || v.hasPendingIrq());
}

function nextPendingLine(sim: Machine, v: Vcpu): number {
  const highest = sim.backend.caps.irqOrder === 'highest-first';
  let best = -1;
  for (const l of v.irqLines) {
    if (l.pending && l.enabled && (best < 0 || (highest ? l.line > best : l.line < best))) best = l.line;
  }
  return best;
}

/** A guest interrupt became pending: a running vCPU takes it at once; a halted one wakes. */
export function interrupt(sim: Machine, v: Vcpu): void {
  if (v.mode === 'run') {
    if (v.irqsMasked) v.maskedArrival();
    else if (v.segment) {
      // The host injects it: the vCPU exits (a kick, a host timer) and takes it at entry.
      preempt(sim, v, sim.now);
      v.exited = true;
      sim.schedule(v, v.cursor);
    }
  } else if (v.mode === 'halt' || v.mode === 'idle') {
    // vcpu_block(): a wake-up clears apf.halted (facts/x86.md §2 "Synthetic halt").
    if (v.hasDeliverableIrq()) sim.leaveWait(v);
  }
}

export function raiseIrq(sim: Machine, v: Vcpu, line: number, signal: 'not-present' | 'ready' | 'other', level: boolean, token?: number): void {
  let l = v.irqLine(line);
  if (!l) {
    l = newIrqLine(line, level, signal);
    v.irqLines.push(l);
  }
  l.level = level;
  l.signal = signal;
  l.token = token ?? null;
  l.asserted = level;
  l.pending = true;
  // A line disabled at the controller is only held pending: nothing is kicked or woken for it
  // (the vGIC queues an interrupt for delivery only once it is enabled).
  if (l.enabled) interrupt(sim, v);
}

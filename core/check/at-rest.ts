import type { Harness } from '../harness.js';
import type { Vcpu } from '../sim/vcpu.js';
import { guestHaltToken, hex, readsInFlight } from './steps.js';

/**
 * What must hold once a walk's order has been drained — every read completed, the guest back in
 * user mode with interrupts on, every running vCPU entered for DRAIN_ROUNDS rounds: the machine at rest. A
 * protocol that is right leaves nothing behind (DESIGN.md invariants 1 and 7, and the guest's sleep
 * table empty: a dummy nobody consumes is the leak fixed by 2a18b7e7cd88, facts/x86.md §6).
 */

/** A kind of wrong, so that one walk reports each kind once, with its shortest order. */
export type ProblemKind = `invariant-${number}` | 'task-asleep' | 'vcpu-waiting' | 'sleep-table-entry' | 'work-undelivered' | 'event-pending';

export interface Problem {
  readonly kind: ProblemKind;
  readonly message: string;
}

/**
 * Rounds of the drain: each completes what is in flight and enters every running vCPU once. The
 * walks at the default bounds and at 2 vCPUs, depth 4 give the same results with 3.
 */
const DRAIN_ROUNDS = 16;

/** Bring the machine to rest: the guest returns to user mode with interrupts on, reads complete, vCPUs enter. */
export function drain(h: Harness, pages: readonly number[]): void {
  for (const v of h.sim.vcpus) v.forced = null;
  for (let round = 0; round < DRAIN_ROUNDS; round++) {
    settleHotplug(h, pages);
    for (const g of readsInFlight(h, pages)) h.complete(g);
    for (let i = 0; i < h.sim.vcpus.length; i++) {
      const v = h.vcpu(i);
      if (v.mode !== 'run') continue;
      // A runnable task that owes something on its way back to user mode (a sleep it was flagged
      // for, exception code to finish) gets the CPU, as the ticks of the tasks ahead of it would
      // give it: each round stands for a slice of the current task. One moved onto a busy CPU, as
      // a CPU taken down moves them, would otherwise never run in the drain (no time passes here).
      if (v.current !== null && owesReturn(v)) {
        v.current.vruntime += v.runq.sliceNs;
        v.needResched = true;
      }
      h.enter(i);
      h.schedule(i);
    }
  }
}

/**
 * A CPU on its way down gets there before any other read completes: its hotplug thread runs within
 * microseconds of the reschedule IPI, a read takes the device's latency. One blocked in the host
 * on a page (a synchronous fault, the synthetic halt) gets that page first, alone. A completion
 * inside the CPU-down callback's window is then a step of the order (a `complete` before the entry
 * that runs the callback), never the drain's doing.
 */
function settleHotplug(h: Harness, pages: readonly number[]): void {
  for (let i = 0; i < h.sim.vcpus.length; i++) {
    const v = h.vcpu(i);
    for (let guard = 0; guard < 8 && v.goingDown && v.mode !== 'off'; guard++) {
      if (v.mode === 'run') {
        h.enter(i);
        h.schedule(i);
        continue;
      }
      // The page its task was touching when it blocked (Harness.fault() draws it).
      const blocking = v.current?.nextPage ?? -1;
      if (!readsInFlight(h, pages).includes(blocking) || !h.waitingOn(blocking).includes(i)) break;
      h.completeFor(blocking, i);
    }
  }
}

function owesReturn(v: Vcpu): boolean {
  return v.runq.some((t) => t.flaggedToken >= 0 || t.frames.length > 0);
}

/** Everything wrong with the machine now: the monitor's violations, then what should have gone and did not. */
export function problemsAtRest(h: Harness): Problem[] {
  const out: Problem[] = h.sim.monitor.violations.map((v) => ({ kind: `invariant-${v.invariant}` as const, message: `invariant ${v.invariant} (${v.name}): ${v.message}` }));
  for (const t of h.sim.tasks) {
    if (t.state === 'sleeping') out.push({ kind: 'task-asleep', message: `task ${t.name} on vCPU ${t.vcpu} is still asleep on token ${hex(t.sleepToken)} (invariant 7)` });
  }
  for (const v of h.sim.vcpus) {
    const halt = guestHaltToken(v);
    if (v.mode === 'halt' || v.mode === 'sync') out.push({ kind: 'vcpu-waiting', message: `vCPU ${v.id} is still in a ${v.mode === 'sync' ? 'synchronous fault' : 'halt'} in the host (invariant 7)` });
    else if (halt >= 0) out.push({ kind: 'vcpu-waiting', message: `vCPU ${v.id} is still halted in the guest on token ${hex(halt)} (invariant 7)` });
    for (const e of v.sleepTable.list()) {
      if (e.kind === 'sleeping' || e.kind === 'halted') continue; // said above, as the task or the vCPU
      out.push({ kind: 'sleep-table-entry', message: `vCPU ${v.id}'s sleep table keeps token ${hex(e.token)} (${e.kind === 'dummy' ? 'a dummy: a page-ready nobody waited for, never consumed' : 'a task flagged to sleep that never did'})` });
    }
    const undelivered = v.apf.done.length + v.apf.inFlight.size;
    if (undelivered > 0) out.push({ kind: 'work-undelivered', message: `vCPU ${v.id} has ${undelivered} async-PF work${undelivered === 1 ? '' : 's'} never delivered` });
    if (v.injected !== null) out.push({ kind: 'event-pending', message: `vCPU ${v.id} still has ${v.injected.name} pending injection` });
  }
  return out;
}

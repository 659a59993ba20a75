import { topFrame } from '../guest/code-layout.js';
import { HARNESS_FIRST_MISSING_GFN, type Harness } from '../harness.js';
import { hex } from '../invariants.js';
import type { Vcpu } from '../sim/vcpu.js';

/**
 * The steps of `apf-lab check`'s walk (DESIGN.md "Outputs": `check`, exhaustive interleavings): the
 * three things that happen to the async-PF protocol in some order — a vCPU's current task touches a
 * host-missing page (a stage-2 fault), the backing store finishes a read, a vCPU enters the guest
 * (vcpu_enter_guest(): requests, injections, interrupts, then the exception code they start), and,
 * where asked, a live migration's switchover or a CPU's hotplug — and the guest context each fault happens in, which decides what a design may deliver (facts/x86.md
 * §2: user mode only, IF=1 to start; facts/arm64.md §1: user mode, PSTATE.I).
 */

/** Where the guest is when it touches the page: a user access, a kernel access (a copy_from_user()), or one with interrupts off. */
export type FaultContext = 'user' | 'kernel' | 'irqs-off';
export const FAULT_CONTEXTS: readonly FaultContext[] = ['user', 'kernel', 'irqs-off'];

export type CheckStep =
  | { readonly kind: 'fault'; readonly vcpu: number; readonly gfn: number; readonly context: FaultContext }
  /** `vcpu`: only that vCPU's work on the page finishes (set where several vCPUs wait on it). */
  | { readonly kind: 'complete'; readonly gfn: number; readonly vcpu?: number }
  | { readonly kind: 'enter'; readonly vcpu: number }
  /** A live migration's switchover (a scenario `migrate` event): at most once in an order, with CheckBounds.migrate. */
  | { readonly kind: 'migrate' }
  /** The guest takes a CPU down, then brings it back (scenario `offline` / `online` events): each at most once, with CheckBounds.hotplug. */
  | { readonly kind: 'offline'; readonly vcpu: number }
  | { readonly kind: 'online'; readonly vcpu: number };

/** The bounds of one walk. */
export interface CheckBounds {
  readonly vcpus: number;
  /** Host-missing pages the tasks touch (gfns from HARNESS_FIRST_MISSING_GFN on). */
  readonly pages: number;
  /** Steps in an order before it is drained and judged. */
  readonly depth: number;
  readonly contexts: readonly FaultContext[];
  /** A live migration may happen once, anywhere in an order (core/sim/migration.ts). */
  readonly migrate?: boolean;
  /**
   * The guest may take one CPU other than CPU 0 down once, anywhere in an order, and bring it back
   * once after that (core/sim/cpu-hotplug.ts): needs 2 vCPUs or more.
   */
  readonly hotplug?: boolean;
}

export function checkPages(bounds: CheckBounds): number[] {
  return Array.from({ length: bounds.pages }, (_, i) => HARNESS_FIRST_MISSING_GFN + i);
}

/** The guest state a fault's context stands for, as the harness forces it on the vCPU. */
export function contextState(context: FaultContext): { privilege: 'user' | 'kernel'; irqsMasked: boolean } {
  return { privilege: context === 'user' ? 'user' : 'kernel', irqsMasked: context === 'irqs-off' };
}

/** The token a vCPU waits on in the guest's own halted loop (a halt frame on top), or -1. */
export function guestHaltToken(v: Vcpu): number {
  return topFrame(v.frames)?.haltToken ?? -1;
}

/** A gfn or a token as the check's lines write it: as the invariant monitor's messages do. */
export { hex };

/** Pages a work or a synchronous fault still waits on: the read is in flight, or a work has not finished. */
export function readsInFlight(h: Harness, pages: readonly number[]): number[] {
  return pages.filter((g) => h.waitingOn(g).length > 0);
}

/**
 * The steps the machine allows after `seq`: a fault needs a running vCPU with a current task that
 * entered the guest since its own last fault (a fault exits; the guest runs nothing before the next
 * entry) and is not halted in the guest's own wait loop (a halted task touches no memory); an
 * entry, a running vCPU; a completion, a read in flight. Where vCPUs of their own wait on one page,
 * each one's work finishes as a step of its own, in either order (each work is its own work item,
 * virt/kvm/async_pf.c async_pf_execute()).
 */
export function nextSteps(h: Harness, seq: readonly CheckStep[], bounds: CheckBounds, pages: readonly number[]): CheckStep[] {
  const out: CheckStep[] = [];
  for (let i = 0; i < h.sim.vcpus.length; i++) {
    const v = h.vcpu(i);
    if (v.mode !== 'run') continue;
    if (v.current && !v.guestHalted && !faultedLast(seq, i)) {
      // An interrupt waiting on IF=0 is taken at the unmask, before any instruction runs with
      // interrupts on: no touch in such a context comes first.
      const waiting = v.hasPendingIrq();
      for (const gfn of pages) {
        if (h.sim.memory.isResident(gfn)) continue;
        for (const context of bounds.contexts) if (!waiting || context === 'irqs-off') out.push({ kind: 'fault', vcpu: i, gfn, context });
      }
    }
    out.push({ kind: 'enter', vcpu: i });
  }
  for (const gfn of readsInFlight(h, pages)) {
    const waiting = h.waitingOn(gfn);
    if (waiting.length < 2) out.push({ kind: 'complete', gfn });
    else for (const vcpu of waiting) out.push({ kind: 'complete', gfn, vcpu });
  }
  if (bounds.migrate === true && !seq.some((s) => s.kind === 'migrate')) out.push({ kind: 'migrate' });
  if (bounds.hotplug === true) out.push(...hotplugSteps(h, seq));
  return out;
}

/**
 * The hotplug a walk may add: any CPU but CPU 0 goes down once, at any point (its task yields at
 * its next entry, the CPU-down callback runs at the entry after: a completion may come between
 * the two, inside the callback's stretch with interrupts off); the same CPU comes back once,
 * at any point after, even before it is all the way down (cpu_up() then waits for the down).
 */
function hotplugSteps(h: Harness, seq: readonly CheckStep[]): CheckStep[] {
  const down = seq.find((s) => s.kind === 'offline');
  if (down === undefined) return h.sim.vcpus.slice(1).map((v) => ({ kind: 'offline', vcpu: v.id }));
  return seq.some((s) => s.kind === 'online') ? [] : [{ kind: 'online', vcpu: down.vcpu }];
}

/**
 * Whether vCPU `i`'s last step in `seq` was a fault, or the migration, with no entry after it: a
 * migrated vCPU runs no guest instruction before the destination's first KVM_RUN enters it.
 */
function faultedLast(seq: readonly CheckStep[], i: number): boolean {
  for (let k = seq.length - 1; k >= 0; k--) {
    const s = seq[k];
    if (s.kind === 'enter' && s.vcpu === i) return false;
    if ((s.kind === 'fault' && s.vcpu === i) || s.kind === 'migrate') return true;
  }
  return false;
}

/**
 * Play one step. A fault is taken in its context; the vCPU resumes in that context at its next
 * entry (the access is retried where it faulted), until its next fault says otherwise.
 */
export function playStep(h: Harness, s: CheckStep): void {
  if (s.kind === 'fault') {
    h.setCpu(contextState(s.context), s.vcpu);
    h.fault(s.gfn, s.vcpu);
  } else if (s.kind === 'complete') {
    if (s.vcpu === undefined) h.complete(s.gfn);
    else h.completeFor(s.gfn, s.vcpu);
  } else if (s.kind === 'migrate') {
    h.migrate();
  } else if (s.kind === 'offline') {
    h.offline(s.vcpu);
  } else if (s.kind === 'online') {
    h.online(s.vcpu);
  } else {
    h.enter(s.vcpu);
    // A task that slept in that entry left the vCPU to the next one: without it, a vCPU's second
    // task would never run, and nothing would fault while the first one sleeps.
    h.schedule(s.vcpu);
  }
}

/** A step in words, as the check's counterexample lists it. */
export function describeStep(s: CheckStep): string {
  const gfn = (g: number) => `gfn ${hex(g)}`;
  if (s.kind === 'fault') return `vCPU ${s.vcpu} touches ${gfn(s.gfn)} (${s.context === 'user' ? 'user mode' : s.context === 'kernel' ? 'kernel mode' : 'kernel mode, interrupts off'})`;
  if (s.kind === 'complete') return s.vcpu === undefined ? `the read of ${gfn(s.gfn)} completes` : `vCPU ${s.vcpu}'s work on ${gfn(s.gfn)} finishes`;
  if (s.kind === 'migrate') return 'the VM is live-migrated (switchover to the destination)';
  if (s.kind === 'offline') return `the guest takes CPU ${s.vcpu} offline (its task yields at its next entry, the CPU-down callback runs at the one after)`;
  if (s.kind === 'online') return `the guest brings CPU ${s.vcpu} back online`;
  return `vCPU ${s.vcpu} enters the guest`;
}

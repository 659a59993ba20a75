import { describe, expect, it } from 'vitest';
import { findVariant, runVariant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * smp_call_function_single() to the calling CPU runs the function there, interrupts off, with no
 * IPI (kernel/smp.c generic_exec_single()). A task whose cross-call target was fixed at the start
 * and which then moved onto that vCPU (idle balancing, wake placement) must do the same, not send
 * itself an IPI (read-back of stop 17: 559 of 5,183 calls in one run were self-IPIs).
 */
function caller(pinned: boolean) {
  return smallScenario({
    durationMs: 50,
    machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 },
    tasks: [
      // Round-robin puts the caller on vCPU 0 with `busy`; vCPU 1's sleeper idles it, and it pulls the caller over.
      { name: 'caller', ...(pinned ? { vcpu: 0 } : {}), passes: 50, program: [{ sleep: { us: 100 } }, { ipi: { target: 1, handlerUs: 2 } }] },
      { name: 'sleeper', vcpu: 1, program: [{ sleep: { us: 1_000_000 } }] },
      { name: 'busy', vcpu: 0, program: [{ compute: { us: 1000 } }] },
    ],
  });
}

describe('a cross-call to the vCPU the caller runs on', () => {
  it('runs locally once the caller has moved onto its target: no IPI', () => {
    const m = runVariant(caller(false), findVariant('x86')).metrics;
    expect(m.migrations).toBeGreaterThan(0);
    expect(m.tasks.caller.finished).toBe(1);
    expect(m.ipi.count).toBe(0);
  });

  it('sends an IPI per call from another vCPU', () => {
    const m = runVariant(caller(true), findVariant('x86')).metrics;
    expect(m.tasks.caller.finished).toBe(1);
    expect(m.ipi.count).toBe(50);
  });
});

import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { runVariant } from '../../../core/run.js';
import { scenarioSchema } from '../../../core/scenario/schema.js';
import { loadScenario } from '../../../core/scenario/load.js';

/**
 * Fault latency counts every fault that started in the measured window, to the access done, also
 * when its page arrives in the drain. Dropping those left out exactly the faults that straddle the
 * window's end, the long ones, and reported a latency of 0 when none had finished.
 */
describe('fault latency of faults still in flight when the window ends', () => {
  // Every read takes 100 ms; the window is 60 ms: each writer's first fault ends in the drain.
  const scenario = (drain: boolean) =>
    scenarioSchema.parse({
      name: 'straddle',
      durationMs: 60,
      machine: { vcpus: 2, guestMemoryMiB: 256, hostResidentMiB: 64 },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100_000 }, queueDepth: 32 },
      regions: [{ name: 'r', mib: 128 }],
      tasks: [{ name: 'writer', count: 2, program: [{ touch: { region: 'r', pattern: 'random', pages: 4, thinkNs: 1000 } }] }],
      drain: { enabled: drain, maxMs: 1000 },
    });

  // x86-halt: the guest's tick wakes the halted vCPU in the drain; its access waits on, it does not end.
  for (const id of ['sync-x86', 'x86', 'x86-halt', 'arm64-sdei']) {
    it(`${id}: with the drain on, both faults are counted, each about the 100 ms read`, () => {
      const r = runVariant(scenario(true), findVariant(id));
      expect(r.metrics.apf.faults).toBe(2);
      expect(r.metrics.faultLatencyNs.count).toBe(2);
      expect(r.metrics.faultLatencyNs.max).toBeGreaterThanOrEqual(100_000_000);
      expect(r.metrics.faultLatencyNs.max).toBeLessThan(101_000_000);
    });
  }

  it('with the drain off the run stops at the window: nothing completed, nothing counted', () => {
    const r = runVariant(scenario(false), findVariant('x86'));
    expect(r.metrics.faultLatencyNs.count).toBe(0);
  });
});

/**
 * A latency is a fault's, from its stage-2 fault to the access done: the exception code's faults
 * (core/sim/guest-entry.ts) start where a task's do, past the zero-fills and swap-cache hits,
 * which are minor faults with no latency. When the exception code started its clock before
 * those, x86-ve counted 1,330 latencies for 1,329 faults on this scenario.
 */
describe('the exception code\'s minor faults start no latency', () => {
  it.each(['x86', 'x86-ve', 'arm64-pvvec', 'arm64-s2'])('%s on guest-kernel-faults: no more latencies than faults there', (id) => {
    const s = loadScenario('guest-kernel-faults');
    const r = runVariant({ ...s, durationMs: 300 }, findVariant(id));
    expect(r.metrics.faultLatencyNs.count).toBeGreaterThan(0);
    expect(r.metrics.faultLatencyNs.count).toBeLessThanOrEqual(r.metrics.apf.faults);
  });
});

/**
 * KVM looks for the gfn among the vCPU's outstanding work only when it may start an async PF
 * (__kvm_faultin_pfn()): refused, the access waits synchronously for a page already on its way.
 * That is the same access's fault, not a new one. Counted as new, arm64-irq on guest-kernel-faults
 * under full preemption showed 539 "sync: signal-pending" faults that were all such returns, and
 * 6,717 faults for 6,191 latencies (hostile run).
 */
describe('a refused fault on a gfn already outstanding is not a new fault', () => {
  it('arm64-irq, kernel faults with interrupts off: as many latencies as faults, within the pages evicted twice', () => {
    const s = loadScenario('guest-kernel-faults');
    // Interrupts-off sections that touch the heap: their faults find the PPI masked and come back.
    const irqd = { name: 'irqd', count: 4, program: [{ irqoff: { us: 5, touch: { region: 'heap', pattern: 'random', pages: 1 } } }, { compute: { us: 200 } }] };
    const scenario = scenarioSchema.parse({ ...s, durationMs: 800, machine: { ...s.machine, preemption: 'full' }, tasks: [...s.tasks, irqd] });
    const r = runVariant(scenario, findVariant('arm64-irq'));
    const { faults } = r.metrics.apf;
    expect(r.invariants.inFlight).toBe(0);
    expect(faults).toBeGreaterThan(1000);
    expect(faults - r.metrics.faultLatencyNs.count).toBeLessThanOrEqual(0.005 * faults);
  });
});

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

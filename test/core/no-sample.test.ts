import { describe, expect, it } from 'vitest';
import { findVariant, runVariant, type ScenarioInput } from '../../index.js';
import { smallScenario } from '../support/scenarios.js';

/**
 * A figure of a run with no sample is none (null), not 0: a run without faults has no latency and
 * no exits per fault, one without a swap read no mean read time, one whose calls were all refused
 * no sender wait. A 0 there would read as "instant" to a consumer of `--json` averaging runs.
 */
const computeOnly: Partial<ScenarioInput> = {
  durationMs: 20,
  machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 },
  backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
  regions: [{ name: 'a', mib: 1 }],
  tasks: [
    { name: 'w', vcpu: 0, program: [{ compute: { us: 1000 } }] },
    // vCPU 1 is taken down at once: every call to it is refused (-ENXIO), none waits.
    { name: 's', vcpu: 0, program: [{ compute: { us: 100 } }, { ipi: { target: 1, handlerUs: 1 } }] },
  ],
  events: [{ atMs: 0.001, offline: { vcpu: 1 } }],
};

describe('figures without a sample are null', () => {
  it.each(['x86', 'arm64-sdei', 'sync-x86'])('%s: no fault, no read, no wait', (id) => {
    const m = runVariant(smallScenario(computeOnly), findVariant(id)).metrics;
    expect(m.apf.faults).toBe(0);
    expect(m.faultLatencyNs).toEqual({ count: 0, p50: null, p99: null, max: null, quantiles: null });
    expect([m.exitsPerFault, m.injectionsPerFault]).toEqual([null, null]);
    expect(m.swap.reads).toBe(0);
    expect(m.swap.meanLatencyNs).toBe(null);
    expect(m.ipi.refused).toBeGreaterThan(0);
    expect(m.ipi.waitNs).toBe(null);
  });

  it('a run with faults has every figure', () => {
    const m = runVariant(smallScenario({ ...computeOnly, machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 0.25 }, tasks: [{ name: 't', program: [{ touch: { region: 'a', pattern: 'random', pages: 1, thinkNs: 2000 } }] }], events: undefined }), findVariant('x86')).metrics;
    expect(m.apf.faults).toBeGreaterThan(0);
    expect(m.exitsPerFault).toBeGreaterThan(0);
    expect(m.injectionsPerFault).toBeGreaterThan(0);
    expect(m.faultLatencyNs.p50).toBeGreaterThan(0);
    expect(m.faultLatencyNs.quantiles).toHaveLength(101);
    expect(m.swap.meanLatencyNs).toBe(100_000);
  });
});

import { describe, expect, it } from 'vitest';
import { findVariant, runVariant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/** Host THP (do_huge_pmd_anonymous_page()): one first touch zero-fills the 2 MiB around it. */
describe('host transparent huge pages', () => {
  const run = (hostThp: boolean) =>
    runVariant(
      smallScenario({
        durationMs: 5_000,
        machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 32, hostThp, hugeClearUs: 100 },
        regions: [{ name: 'heap', mib: 16, populated: false }],
        tasks: [{ name: 'memory', passes: 512, program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 8 } }] }],
        until: { tasks: ['memory'] },
        drain: { enabled: false, maxMs: 1 },
      }),
      findVariant('sync-arm64'),
      { seed: 1 },
    );

  it('with THP a sequential first pass over 16 MiB takes 8 host faults (one per 2 MiB), without it 4,096', () => {
    expect(run(true).metrics.apf.zeroFills).toBe(8);
    expect(run(false).metrics.apf.zeroFills).toBe(4096);
  });

  it('a huge fault charges the 2 MiB clear: 8 × 100 µs of host time at least', () => {
    const thp = run(true);
    expect(thp.metrics.vcpuTimeNs.host).toBeGreaterThan(8 * 100_000);
    expect(thp.metrics.tasks.memory.finished).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { findVariant, runVariant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * A sequential pass touches each page once even when ticks and a second task cut its touch
 * segments short: a cut-short segment steps its cursor back over the touches it planned and did
 * not reach (Task.rewind()). Before, those pages were skipped and the pass ran past the end of its
 * region into pages it had already written (and the host had swapped out).
 */
describe('a sequential pass preempted many times', () => {
  const pages = 4096; // 16 MiB, never touched before: each page's first touch is one zero-fill
  const scenario = smallScenario({
    durationMs: 10_000,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8, hz: 1000, sliceUs: 1000 },
    regions: [{ name: 'heap', mib: 16, populated: false }],
    tasks: [
      { name: 'memory', passes: pages / 8, program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 8, thinkNs: 30_000 } }] },
      { name: 'cpu', program: [{ compute: { us: 700 } }] },
    ],
    until: { tasks: ['memory'] },
    drain: { enabled: false, maxMs: 1 },
  });

  it('zero-fills every page of the region exactly once and never faults on one it wrote', () => {
    const r = runVariant(scenario, findVariant('sync-arm64'), { seed: 1 });
    expect(r.metrics.tasks.memory.finished).toBe(1);
    expect(r.metrics.apf.zeroFills).toBe(pages);
    expect(r.metrics.apf.faults).toBe(0); // a fault here is a re-touch of an evicted page
    expect(r.metrics.contextSwitches).toBeGreaterThan(20); // the pass was cut short many times
  });
});

import { describe, expect, it } from 'vitest';
import { findVariant, runVariant } from '../../index.js';
import { runExperiment } from '../../core/reproduce.js';
import { smallScenario } from '../support/scenarios.js';

/**
 * What an experiment row compares (core/scenario/schema.ts experimentRow). Gavin Shan's
 * "Calculation" columns are a total per run (facts/anchors.md §A7: "total calculation count"), so
 * with APF shortening the run the count and the rate move apart: a row must say which it is.
 */
describe('experiment metrics', () => {
  // A memory thread that ends the window (`until`) and a calculation thread beside it.
  const s = smallScenario({
    durationMs: 20000,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 500 }, queueDepth: 32 },
    regions: [{ name: 'array', mib: 16 }],
    tasks: [
      { name: 'memory', passes: 2, program: [{ touch: { region: 'array', pattern: 'random', pages: 2048, thinkNs: 1000 } }] },
      { name: 'calc', program: [{ compute: { us: 1000 } }] },
    ],
    until: { tasks: ['memory'] },
    drain: { enabled: false },
    experiment: {
      source: 'test',
      rows: [
        { label: 'count', metric: 'count', group: 'calc', variant: 'arm64-sdei', baseline: 'sync-arm64' },
        { label: 'rate', metric: 'rate', group: 'calc', variant: 'arm64-sdei', baseline: 'sync-arm64' },
        { label: 'time', metric: 'time', group: 'memory', variant: 'arm64-sdei', baseline: 'sync-arm64' },
      ],
    },
  });

  it('count is the group\'s work over the window: rate × window, so its ratio is the rate ratio × the time ratio', () => {
    const [count, rate, time] = runExperiment('t', s, (id) => findVariant(id), { seeds: [1] }).rows.map((r) => r.lab.values[0]);
    const r = runVariant(s, findVariant('arm64-sdei'));
    expect(r.metrics.workByTask.calc).toBeCloseTo((r.metrics.tasks.calc.workPerSecond * r.run.measuredNs) / 1e9, 0);
    expect(time).toBeLessThan(0.99); // APF shortens the memory thread's run here
    expect(count).toBeCloseTo(rate * time, 2);
    expect(count).not.toBeCloseTo(rate, 2);
  });
});

describe('an experiment row with no figure says why in its own terms', () => {
  it('count on a group that did no work asks whether it ran, not whether it finished its passes', () => {
    const s = smallScenario({
      durationMs: 5,
      tasks: [
        { name: 'idle', program: [{ sleep: { us: 100_000 } }] },
        { name: 'worker', program: [{ compute: { us: 100 } }] },
      ],
      experiment: { source: 'test', rows: [{ label: 'idle count', metric: 'count', group: 'idle', variant: 'x86', baseline: 'sync-x86' }] },
    });
    expect(() => runExperiment('t', s, (id) => findVariant(id), { seeds: [1] })).toThrow(/gave no count with seed 1 \(did task "idle" run in the measured window\?\)/);
  });
});

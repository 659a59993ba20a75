import { defineSweep, PART_FORMAT, sweepVariant, planRuns, type SweepDefinition, type SweepPart } from '../../core/sweep/document.js';
import { pointCount, pointValues, shardPoints } from '../../core/sweep/grid.js';
import { SWEEP_METRICS } from '../../core/sweep/metrics.js';
import { roundTo } from '../../core/spread.js';
import { arm64SdeiVariant, x86Variant } from '../../index.js';
import { smallScenario } from './scenarios.js';

/**
 * A sweep's definition and parts with made-up figures, for tests of merging and of the outputs:
 * neither looks at how a figure was measured, so no simulation needs to run.
 */
export function fakeSweep(seeds = 2, scenario = smallScenario()): SweepDefinition {
  return defineSweep({
    scenario,
    params: [
      { name: 'backing.latency.us', spec: '50..5000:log:3', values: [50, 500, 5000] },
      { name: 'tasksPerVcpu', spec: '1,2', values: [1, 2] },
    ],
    variants: [x86Variant, arm64SdeiVariant].map(sweepVariant),
    seeds,
    metric: 'work',
    x: 'backing.latency.us',
  });
}

/** The build the fake parts claim: one for all, as the parts of one `apf-lab sweep --shard` run. */
export const FAKE_BUILD = '0.1.0+test';

export function fakePart(def: SweepDefinition, index: number, count: number): SweepPart {
  const points = shardPoints(pointCount(def.params), { index, count });
  const runs = planRuns(def, points).map((r) => {
    const base = (r.point + 1) * 1000 + r.run * 10 + (r.variant === 'x86' ? 0 : 500);
    const metrics: Record<string, number> = Object.fromEntries(SWEEP_METRICS.map((m, k) => [m.name, m.name === 'violations' ? 0 : base + k]));
    // Figures a run could give together (core/sweep/metrics.ts brokenRelation()): more faults than
    // APFs, synchronous and halted ones, and exits per fault the ratio of the two.
    metrics.faults = 4 * base;
    metrics.exitsPerFault = roundTo(metrics.exits / metrics.faults, 3);
    // The point's window (durationMs, swept or the scenario's); with `until`, a little shorter and
    // not all alike, as until ends them. Work per second is work over it.
    const swept = def.params.findIndex((p) => p.name === 'durationMs');
    const window = swept >= 0 ? Number(pointValues(def.params, r.point)[swept]) : def.scenario.durationMs;
    metrics.measuredMs = def.scenario.until ? window - r.point - r.run : window;
    metrics.workPerSecond = roundTo((metrics.work * 1000) / metrics.measuredMs, 3);
    return { ...r, stoppedEarly: null, metrics };
  });
  return { format: PART_FORMAT, build: FAKE_BUILD, sweep: def, shard: { index, count }, points, runs };
}

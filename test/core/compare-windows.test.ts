import { describe, expect, it } from 'vitest';
import { findVariant } from '../../arches/registry.js';
import { compareVariants } from '../../core/compare.js';
import { scenarioSchema } from '../../core/scenario/schema.js';

/** A memory task that makes two passes and ends the window (until), beside two compute threads. */
function untilScenario(name: string) {
  return scenarioSchema.parse({
    name,
    durationMs: 60_000,
    machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16 },
    backing: { kind: 'swap', latency: { dist: 'lognormal', us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55_700 }, queueDepth: 32 },
    regions: [{ name: 'r', mib: 32 }],
    tasks: [
      { name: 'mem', passes: 2, program: [{ touch: { region: 'r', pattern: 'sequential', pages: 8192, thinkNs: 500 } }] },
      { name: 'calc', count: 2, program: [{ compute: { us: 1000 } }] },
    ],
    until: { tasks: ['mem'] },
    drain: { enabled: true, maxMs: 100 },
  });
}

/**
 * With `until`, each run's window ends when its named tasks finish, so the windows differ by
 * design: a total-work ratio would credit the slower run with the background work of its longer
 * window. The ratio is then work per measured second.
 */
describe('work against the baseline when the measured windows differ (until)', () => {
  const scenario = untilScenario('until-windows');
  const c = compareVariants(scenario, [findVariant('sync-x86'), findVariant('x86'), findVariant('x86-pf')]);
  const [base, ...others] = c.variants;

  it('the windows do differ, and each ratio is work per measured second against the baseline', () => {
    for (const r of others) {
      expect(r.run.measuredNs).not.toBe(base.run.measuredNs);
      const rate = (x: typeof r) => x.metrics.work / x.run.measuredNs;
      expect(r.workVsBaseline).toBeCloseTo(rate(r) / rate(base), 4);
    }
  });
});

describe('the work-over-time chart of an until comparison', () => {
  it('spans the longest measured window, not durationMs, and each curve stops at its own window', async () => {
    const { workOverTimeChart } = await import('../../cli/report/charts.js');
    const scenario = untilScenario('until-chart');
    const c = compareVariants(scenario, [findVariant('sync-x86'), findVariant('x86')]);
    const chart = workOverTimeChart(c);
    const longest = Math.max(...c.variants.map((r) => r.run.measuredNs));
    expect(Number(chart.xTicks[4].label)).toBeCloseTo(longest / 1e6, 0);
    const lastX = (d: string) => Number(/L([\d.]+),[\d.]+$/.exec(d)![1]);
    const shorter = c.variants.findIndex((r) => r.run.measuredNs < longest);
    expect(lastX(chart.series[shorter].d)).toBeLessThan(chart.xTicks[4].at);
  });
});

import { describe, expect, it } from 'vitest';
import { short, sweepChart } from '../../../cli/sweep/chart.js';
import { defineSweep, sweepDocument } from '../../../core/sweep/document.js';
import { FAKE_BUILD, fakePart, fakeSweep } from '../../support/sweep-parts.js';

/** The x of each point a path visits, in order. */
const xsOf = (d: string) => [...d.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));

describe('the sweep chart', () => {
  it('draws each line left to right, whatever order the values were listed in (hostile-test sweep defect 9)', () => {
    const base = fakeSweep();
    const def = defineSweep({ ...base, params: [{ name: 'backing.latency.us', spec: '1000,100,10000', values: [1000, 100, 10000] }, base.params[1]] });
    const chart = sweepChart(sweepDocument(def, fakePart(def, 1, 1).runs, FAKE_BUILD));
    for (const s of chart.series) {
      expect(s.d).toMatch(/^M[\d.]+,[\d.]+L[\d.]+,[\d.]+L[\d.]+,[\d.]+$/);
      const xs = xsOf(s.d);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      expect(s.points.map((p) => p.x)).toEqual(xs);
    }
    // The mean at x = 100 (the second value listed) is drawn first.
    expect(chart.series[0].points[0].title).toMatch(/^x86 at backing.latency.us=100: /);
  });

  const chartOf = (spec: string, values: number[]) => {
    const base = fakeSweep();
    const def = defineSweep({ ...base, params: [{ name: 'backing.latency.us', spec, values }, base.params[1]] });
    return sweepChart(sweepDocument(def, fakePart(def, 1, 1).runs, FAKE_BUILD));
  };

  it('labels x ticks with as many digits as tell neighbours apart (1000, 1005 and 1010 read 1k, 1k and 1.01k)', () => {
    expect(chartOf('1000,1005,1010', [1000, 1005, 1010]).xTicks.map((t) => t.label)).toEqual(['1k', '1.005k', '1.01k']);
    // Three digits where three will do.
    expect(chartOf('100..10000:log:3', [100, 1000, 10000]).xTicks.map((t) => t.label)).toEqual(['100', '1k', '10k']);
  });

  it('leaves out an x label that would overlap the last one drawn, by its place on the axis, not in the list', () => {
    // On a linear axis 100 and 300 are 11 px apart: all four were labelled, 100 and 300 over each other.
    const ticks = chartOf('100,300,1000,10000', [100, 300, 1000, 10000]).xTicks;
    expect(ticks.map((t) => t.label)).toEqual(['100', '1k', '10k']);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.at - ticks[i - 1]!.at).toBeGreaterThanOrEqual(((ticks[i]!.label.length + ticks[i - 1]!.label.length) / 2) * 7 + 6);
    // Values far enough apart are all labelled, however many.
    expect(chartOf('1..12', Array.from({ length: 12 }, (_, i) => i + 1)).xTicks).toHaveLength(12);
  });

  it('rounds a label up to the next unit where its mantissa rounds to 1000, and writes a power of ten beyond G', () => {
    // 999999 was "1000k" beside "1M", 999.96 "1000" beside "1k", and 1e21 "1000000000000G".
    const values = [999_999, 999.96, 999.4, -999_999, 1e21, 1.5e13, 999.5e9, 1e12, 0.5, 0];
    expect(values.map((x) => short(x))).toEqual(['1M', '1k', '999', '-1M', '1e21', '1.5e13', '1e12', '1e12', '0.5', '0']);
    expect(short(1_000_050, 6)).toBe('1.00005M');
  });

  it('keeps the first and last x labels inside the chart, however wide', () => {
    // Values that take many digits to tell apart: the last label was centred past the right edge.
    for (const values of [[1.00001e21, 1.00002e21, 1.00003e21], [1e21, 2e21], [1.000000001e21, 1.000000002e21]]) {
      const chart = chartOf(values.join(','), values);
      for (const t of chart.xTicks) {
        expect(t.at - (t.label.length * 7) / 2, t.label).toBeGreaterThanOrEqual(0);
        expect(t.at + (t.label.length * 7) / 2, t.label).toBeLessThanOrEqual(chart.width);
      }
    }
  });
});

describe('the sweep chart note', () => {
  it('says a mean is over only the runs that have the figure where some have none, as the table marks it', () => {
    const base = fakeSweep();
    const def = defineSweep({ ...base, metric: 'faultLatency.p99' });
    const runs = fakePart(def, 1, 1).runs;
    const all = sweepChart(sweepDocument(def, runs, FAKE_BUILD));
    expect(all.note).not.toMatch(/only some runs/);
    // One run of the first point without a fault latency (no fault completed there).
    const some = runs.map((r, i) => (i === 0 ? { ...r, metrics: { ...r.metrics, 'faultLatency.p50': null, 'faultLatency.p99': null, 'faultLatency.max': null } } : r));
    expect(sweepChart(sweepDocument(def, some, FAKE_BUILD)).note).toMatch(/\(where only some runs have the figure, over those\)/);
  });
});

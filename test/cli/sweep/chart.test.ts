import { describe, expect, it } from 'vitest';
import { sweepChart } from '../../../cli/sweep/chart.js';
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
});

import { describe, expect, it } from 'vitest';
import { metricCurves, sweepDocument, type SweepDocument } from '../../../core/sweep/document.js';
import { sweepView } from '../../../cli/sweep/view.js';
import { fakePart, fakeSweep } from '../../support/sweep-parts.js';

/** A sweep document whose runs count how often one is read. */
function countingDocument(): { doc: SweepDocument; reads: () => number } {
  const def = fakeSweep(3);
  const doc = sweepDocument(def, fakePart(def, 1, 1).runs, 'test');
  let reads = 0;
  const runs = new Proxy(doc.runs, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { doc: { ...doc, runs }, reads: () => reads };
}

describe('the curves of a sweep', () => {
  // Each x value filtered every run, for the table and again for the chart: 8,000 values × 10
  // seeds took 16.7 s and 650 MB to merge.
  it('read each run once, not once for each x value', () => {
    const { doc, reads } = countingDocument();
    const c = metricCurves(doc, 'work', 'backing.latency.us');
    expect(reads()).toBe(doc.runs.length);
    // The same figures: x = 50 is points 0 and 1, x86's runs there 1000, 1010, 1020 and 2000, 2010, 2020.
    expect(c.series[0]!.stats[0]).toEqual({ mean: 1510, min: 1000, max: 2020 });
    expect(c.series[0]!.runs[0]).toBe(6);
  });

  it('and the table reads each run a few times, not once for each cell', () => {
    const { doc, reads } = countingDocument();
    sweepView(doc, []);
    expect(reads()).toBeLessThanOrEqual(4 * doc.runs.length);
  });
});

import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../../index.js';
import { latencyRangeNs, SwapDevice } from '../../../core/machine/swap.js';
import type { LatencySpec } from '../../../core/scenario/schema.js';

describe('SwapDevice', () => {
  const make = (depth: number) => {
    const started: [number, number][] = [];
    const dev = new SwapDevice({ dist: 'fixed', us: 100, sigma: 1, minUs: 0 }, depth, new RandomStreams(1).stream('swap'), (g, at) =>
      started.push([g, at]),
    );
    return { dev, started };
  };

  it('serves at most queueDepth reads at once, the rest in FIFO order', () => {
    const { dev, started } = make(2);
    for (const g of [1, 2, 3, 4]) dev.request(g, 0);
    expect(started).toEqual([
      [1, 100_000],
      [2, 100_000],
    ]);
    dev.finish(1, 100_000);
    expect(started[2]).toEqual([3, 200_000]);
    expect(dev.maxQueued).toBe(2);
  });

  it('does not read a page twice while a read of it is under way', () => {
    const { dev, started } = make(4);
    expect(dev.request(5, 0)).toBe(true);
    expect(dev.request(5, 10)).toBe(false);
    expect(started).toHaveLength(1);
  });

  it.each<LatencySpec>([
    { dist: 'fixed', us: 10, sigma: 1, minUs: 20 },
    { dist: 'lognormal', us: 100, sigma: 0, minUs: 0 },
    { dist: 'lognormal', us: 100, sigma: 2, minUs: 0 },
    { dist: 'exponential', us: 0.01, sigma: 1, minUs: 0, maxUs: 0.05 },
  ])('serves every draw within latencyRangeNs() (the range the scenario header prints): %j', (l) => {
    const out: number[] = [];
    const dev = new SwapDevice(l, 5000, new RandomStreams(3).stream('s'), (_g, at) => out.push(at));
    for (let g = 0; g < 5000; g++) dev.request(g, 0);
    const { minNs, maxNs } = latencyRangeNs(l);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(minNs);
    expect(Math.max(...out)).toBeLessThanOrEqual(maxNs);
  });

  it('clamps lognormal draws to [minUs, maxUs]', () => {
    const out: number[] = [];
    const dev = new SwapDevice({ dist: 'lognormal', us: 800, sigma: 3, minUs: 36, maxUs: 55_700 }, 1000, new RandomStreams(2).stream('s'), (_g, at) =>
      out.push(at),
    );
    for (let g = 0; g < 500; g++) dev.request(g, 0);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(36_000);
    expect(Math.max(...out)).toBeLessThanOrEqual(55_700_000);
  });
});

describe('SwapDevice: swap-out writes go out a reclaim batch at a time', () => {
  it('32 dirty pages evicted (SWAP_CLUSTER_MAX, include/linux/swap.h) make one write I/O; fewer make none yet', () => {
    const started: number[] = [];
    const dev = new SwapDevice({ dist: 'fixed', us: 100, sigma: 1, minUs: 0 }, 8, new RandomStreams(1).stream('swap'), (g) => started.push(g));
    const sent = Array.from({ length: 31 }, () => dev.write(0));
    expect(sent.every((x) => !x)).toBe(true);
    expect(started).toEqual([]);
    expect(dev.write(0)).toBe(true);
    expect(started).toHaveLength(1);
    expect(started[0]).toBeLessThan(0); // writes travel with negative ids, apart from gfns
    expect({ writes: dev.writes, writePages: dev.writePages }).toEqual({ writes: 1, writePages: 32 });
  });
});

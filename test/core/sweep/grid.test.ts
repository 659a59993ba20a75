import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, pointCount, pointValues, shardPoints } from '../../../core/sweep/grid.js';
import { runSeed, sweepIdentity } from '../../../core/sweep/seed.js';

const params = [
  { name: 'a', spec: '1,2', values: [1, 2] },
  { name: 'b', spec: 'x,y,z', values: ['x', 'y', 'z'] },
];

describe('sweep points', () => {
  it('are the cartesian product, the last parameter varying fastest', () => {
    expect(pointCount(params)).toBe(6);
    expect(Array.from({ length: 6 }, (_, p) => pointValues(params, p))).toEqual([
      [1, 'x'], [1, 'y'], [1, 'z'], [2, 'x'], [2, 'y'], [2, 'z'],
    ]);
  });
});

describe('shards', () => {
  it('take every n-th point: together they are every point once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 }), (points, n) => {
        const slices = Array.from({ length: n }, (_, i) => shardPoints(points, { index: i + 1, count: n }));
        const all = slices.flat().sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: points }, (_, p) => p));
      }),
    );
    expect(shardPoints(7, { index: 2, count: 3 })).toEqual([1, 4]);
    expect(shardPoints(2, { index: 3, count: 3 })).toEqual([]);
  });

  it('parse i/n from 1', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1', '1/3/4', '-1/3', 'a/b']) expect(() => parseShard(bad), bad).toThrow();
    // An n past the bound is refused for it, however written: 1/1e308 was "a shard is i/n" (hostile round).
    for (const over of ['1/2000000', '1/1e308']) expect(() => parseShard(over), over).toThrow(`shard ${over}: at most 1,000,000 shards`);
  });
});

describe('run seeds', () => {
  const id = sweepIdentity({ name: 's', machine: { vcpus: 2 } }, params);

  it('are the documented hash, pinned: a run gives the same seed on any machine and in any release', () => {
    // sha256("apf-lab sweep seed v1\n" + 64 zeros + "\n0\n0") = 32eabee99d218d0a…, whose first 53 bits are:
    expect(runSeed('0'.repeat(64), 0, 0)).toBe(Number(0x32eabee99d218d0an >> 11n));
    expect(runSeed('0'.repeat(64), 0, 0)).toBe(1791481814950961);
  });

  it('depend on the identity, the point and the run only, and are safe integers', () => {
    const seeds = new Set<number>();
    for (let p = 0; p < 20; p++) for (let r = 0; r < 5; r++) seeds.add(runSeed(id, p, r));
    expect(seeds.size).toBe(100);
    for (const s of seeds) expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
    // Computed in another order, the same numbers.
    expect(runSeed(id, 19, 4)).toBe([...seeds][99]);
  });

  it('the identity ignores key order but not values', () => {
    const same = sweepIdentity({ machine: { vcpus: 2 }, name: 's' }, params);
    const other = sweepIdentity({ name: 's', machine: { vcpus: 3 } }, params);
    expect(same).toBe(id);
    expect(other).not.toBe(id);
    expect(sweepIdentity({ name: 's', machine: { vcpus: 2 } }, [params[1], params[0]])).not.toBe(id);
  });
});

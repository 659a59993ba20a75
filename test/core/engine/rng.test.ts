import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { describe, expect, it } from 'vitest';
import { BadInputError, RandomStreams, seedToInt32 } from '../../../index.js';

const draw = (seed: number, actor: string, n = 5) => {
  const s = new RandomStreams(seed).stream(actor);
  return Array.from({ length: n }, () => s.float());
};

/** The streams as first defined: the i-th stream issued is the root jumped i times. */
function oldDefinition(seed: number, index: number, n = 5): number[] {
  const gen = xoroshiro128plus(seed | 0);
  for (let i = 0; i <= index; i++) gen.jump();
  return Array.from({ length: n }, () => uniformFloat64(gen));
}

describe('RandomStreams', () => {
  it('gives the same stream for the same seed and actor', () => {
    expect(draw(7, 'swap')).toEqual(draw(7, 'swap'));
  });

  it('gives different streams to different seeds', () => {
    expect(draw(7, 'swap')).not.toEqual(draw(8, 'swap'));
  });

  it('gives actors independent streams: one actor drawing more does not shift another', () => {
    const a = new RandomStreams(3);
    const s1 = a.stream('task:0');
    const s2 = a.stream('task:1');
    const firstOfS2 = s2.float();
    const b = new RandomStreams(3);
    const t1 = b.stream('task:0');
    for (let i = 0; i < 100; i++) t1.float();
    expect(b.stream('task:1').float()).toBe(firstOfS2);
    expect(s1.float()).not.toBe(firstOfS2);
  });

  it('refuses to issue one actor twice', () => {
    const r = new RandomStreams(1);
    r.stream('x');
    expect(() => r.stream('x')).toThrow(/already issued/);
  });

  it('folds seeds above 32 bits so that they still differ', () => {
    expect(seedToInt32(1)).not.toBe(seedToInt32(1 + 2 ** 32));
  });
});

describe('seeds use all of their bits', () => {
  it('seeds that differ only above bit 31 give different streams', () => {
    for (const [a, b] of [
      [1, 1 + 2 ** 32],
      [-1, 2 ** 32 - 1],
      [0, 2 ** 52],
      [2 ** 31, -(2 ** 31)],
      [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 2 ** 32],
    ]) {
      expect(draw(a, 'swap'), `${a} vs ${b}`).not.toEqual(draw(b, 'swap'));
    }
  });

  it('32-bit seeds keep the streams they always had, so published runs do not move', () => {
    for (const seed of [0, 1, 7, -5, 2 ** 31 - 1, -(2 ** 31)]) expect(draw(seed, 'a')).toEqual(oldDefinition(seed, 0));
  });

  it('refuses a seed that is not a safe integer', () => {
    for (const seed of [1.5, Number.NaN, Infinity, 2 ** 53, -(2 ** 53), 1e20]) {
      expect(() => new RandomStreams(seed), String(seed)).toThrow(BadInputError);
    }
  });
});

describe('issuing a stream is O(1)', () => {
  it('gives the same streams as the old jump-i-times definition for the first actors', () => {
    const r = new RandomStreams(11);
    for (let i = 0; i < 6; i++) {
      const s = r.stream(`task:${i}`);
      expect(Array.from({ length: 5 }, () => s.float())).toEqual(oldDefinition(11, i));
    }
  });

  it('issues 20,000 streams in well under a second (the old definition took minutes)', () => {
    const r = new RandomStreams(1);
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) r.stream(`task:${i}`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

import { describe, expect, it } from 'vitest';
import { RandomStreams, seedToInt32 } from '../../../index.js';

const draw = (seed: number, actor: string, n = 5) => {
  const s = new RandomStreams(seed).stream(actor);
  return Array.from({ length: n }, () => s.float());
};

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

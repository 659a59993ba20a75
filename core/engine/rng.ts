import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * One independent random stream. Streams come from a single seeded root by xoroshiro128+
 * jumps (2^64 draws apart), one per actor, so two variants run with the same seed see the
 * same page choices and the same device latencies (common random numbers, DESIGN.md "Engine").
 */
export class RandomStream {
  constructor(private readonly gen: JumpableRandomGenerator) {}

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal by Box–Muller; uses two draws so the stream position stays predictable. */
  normal(): number {
    const u1 = 1 - this.float(); // (0, 1]: log() stays finite
    const u2 = this.float();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
}

/** Hands out one stream per named actor; the same (seed, actor index) always gives the same stream. */
export class RandomStreams {
  private readonly root: JumpableRandomGenerator;
  private readonly issued: string[] = [];

  constructor(seed: number) {
    this.root = xoroshiro128plus(seed | 0);
  }

  /**
   * The stream for an actor. Actors must be requested in a fixed order (the scenario's order),
   * never in the order of an object's keys.
   */
  stream(actor: string): RandomStream {
    if (this.issued.includes(actor)) throw new Error(`RandomStreams: stream "${actor}" was already issued`);
    this.issued.push(actor);
    const gen = this.root.clone();
    for (let i = 0; i < this.issued.length; i++) gen.jump();
    return new RandomStream(gen);
  }
}

/** Folds any integer (or numeric string) seed into the 32 bits the generator takes. */
export function seedToInt32(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // Mix the high and low halves so that seeds differing only above bit 31 still differ.
  const hi = Math.floor(seed / 2 ** 32);
  return (seed ^ Math.imul(hi, 0x9e3779b1)) | 0;
}

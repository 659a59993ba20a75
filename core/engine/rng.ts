import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { BadInputError } from '../errors.js';

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

/**
 * Hands out one stream per named actor; the same (seed, actor index) always gives the same stream.
 * The i-th stream issued is the root jumped i times (i = 1, 2, …). A cursor keeps the last jump, so
 * issuing a stream costs one jump however many came before (15,000 tasks used to take 41 s).
 */
export class RandomStreams {
  private readonly cursor: JumpableRandomGenerator;
  private readonly issued = new Set<string>();

  constructor(seed: number) {
    this.cursor = xoroshiro128plusFromState(seedState(seed));
  }

  /**
   * The stream for an actor. Actors must be requested in a fixed order (the scenario's order),
   * never in the order of an object's keys.
   */
  stream(actor: string): RandomStream {
    if (this.issued.has(actor)) throw new Error(`RandomStreams: stream "${actor}" was already issued`);
    this.issued.add(actor);
    return this.streamForNew();
  }

  /**
   * The next stream, for an actor unique by construction (a new task: its stream is the order it
   * was created in): not recorded, so that millions of short processes keep no name each.
   */
  streamForNew(): RandomStream {
    this.cursor.jump();
    return new RandomStream(this.cursor.clone());
  }
}

/**
 * The 128-bit xoroshiro128+ state for a seed, using all of its bits. A seed in the 32-bit signed
 * range gives the state `xoroshiro128plus(seed)` always gave, so published runs stay the same; the
 * seed's upper 32 bits (two's complement) go into the word that was 0, XORed with the sign
 * extension of the lower half, so that word stays 0 exactly for 32-bit seeds and two different
 * safe integers never share a state. The first word is all ones: the state is never all zero.
 */
export function seedState(seed: number): [number, number, number, number] {
  checkSeed(seed);
  const lo = seed | 0; // the low 32 bits, two's complement, for any safe integer
  const hi = Math.floor(seed / 2 ** 32) | 0; // the high bits (at most 21 and a sign)
  return [-1, ~lo, lo, hi ^ (lo >> 31)];
}

/** Seeds are safe integers: beyond 2^53 two different seeds would be the same double. */
export function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new BadInputError(`seed must be an integer from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got ${seed}`);
  }
}

/**
 * Folds any safe-integer seed into 32 bits (kept for API users; the streams themselves now use
 * all of the seed's bits through seedState()).
 */
export function seedToInt32(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // Mix the high and low halves so that seeds differing only above bit 31 still differ.
  const hi = Math.floor(seed / 2 ** 32);
  return (seed ^ Math.imul(hi, 0x9e3779b1)) | 0;
}

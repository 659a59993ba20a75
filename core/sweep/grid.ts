import { BadInputError } from '../errors.js';
import { count, plural } from '../plural.js';
import { pastBound } from '../number-text.js';
import type { SweepValue } from './spec.js';

/** One swept parameter: its name, the spec as given, and the values the spec stands for. */
export interface SweepParam {
  readonly name: string;
  readonly spec: string;
  readonly values: readonly SweepValue[];
}

/** A sweep of more runs than this is refused: it is a typo, or a job for several sweeps. */
export const MAX_RUNS = 1_000_000;

/**
 * The points are the cartesian product of the parameters' values, numbered 0, 1, … with the
 * last parameter varying fastest (as nested loops in the order given).
 */
export function pointCount(params: readonly SweepParam[]): number {
  return params.reduce((n, p) => n * p.values.length, 1);
}

/** The parameter values of point `point`, one per parameter in order. */
export function pointValues(params: readonly SweepParam[], point: number): SweepValue[] {
  const out: SweepValue[] = new Array(params.length);
  let rest = point;
  for (let i = params.length - 1; i >= 0; i--) {
    const n = params[i].values.length;
    out[i] = params[i].values[rest % n];
    rest = Math.floor(rest / n);
  }
  return out;
}

/** Refuses a sweep too large to be meant, before anything is built for it. */
export function checkRunCount(params: readonly SweepParam[], variants: number, seeds: number): void {
  const runs = pointCount(params) * variants * seeds;
  if (runs > MAX_RUNS) {
    throw new BadInputError(`${runCount(pointCount(params), variants, seeds)}, more than the ${count(MAX_RUNS)} one sweep may have: split it into several`);
  }
}

/** "2 points × 1 variant × 3 seeds = 6 runs". */
export function runCount(points: number, variants: number, seeds: number): string {
  return `${plural(points, 'point')} × ${plural(variants, 'variant')} × ${plural(seeds, 'seed')} = ${plural(points * variants * seeds, 'run')}`;
}

/**
 * At most this many shards: no sweep has more points to spread. `sweep merge` holds an edited
 * part to the same bound, so that a count of 1e9 is refused, not taken as a billion slices to find.
 */
export const MAX_SHARDS = MAX_RUNS;

/** A slice of a sweep: shard `index` of `count`, both from 1 (`--shard 2/3`). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * The points of a shard: those whose number modulo `count` is `index - 1`. Taking every count-th
 * point rather than a block spreads the slow corners of a grid (the longest latency, the most
 * tasks, which sit together at its end) over all shards. A shard may be empty (more shards than points).
 */
export function shardPoints(points: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let p = shard.index - 1; p < points; p += shard.count) out.push(p);
  return out;
}

/** Parses `i/n` (1 ≤ i ≤ n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  // An n past the bound in another form (1/1e308) is refused for that, not for its form.
  const slash = text.trim().indexOf('/');
  if (!m && slash > 0 && pastBound(text.trim().slice(slash + 1), MAX_SHARDS)) throw new BadInputError(`shard ${text}: at most ${count(MAX_SHARDS)} shards`);
  if (!m) throw new BadInputError(`a shard is i/n (this is slice i of n, from 1), got ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || index < 1 || index > n) throw new BadInputError(`shard ${text}: i must be from 1 to n`);
  if (n > MAX_SHARDS) throw new BadInputError(`shard ${text}: at most ${count(MAX_SHARDS)} shards`);
  return { index, count: n };
}

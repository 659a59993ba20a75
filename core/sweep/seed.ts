import { createHash } from 'node:crypto';

/**
 * Where a sweep's seeds come from. A run's seed depends only on what the sweep is (its identity),
 * its point and its run number, never on when, where or beside what it runs: a shard on another
 * machine, or a worker that picks it up late, runs it with the same seed.
 *
 *   identity = SHA-256 (hex) of the canonical JSON of { scenario, params: [{ name, values }] }
 *   seed     = the first 53 bits, big-endian, of SHA-256("apf-lab sweep seed v1\n<identity>\n<point>\n<run>")
 *
 * Canonical JSON is JSON with every object's keys sorted. The variants are not part of the
 * identity: every variant of a point runs with the same seeds (common random numbers), and adding
 * a variant to a sweep leaves the others' numbers as they were. Nor is the number of seeds: a
 * sweep with 10 seeds repeats the runs of one with 5 and adds five.
 */
export const SEED_DERIVATION =
  'seed = first 53 bits (big-endian) of SHA-256("apf-lab sweep seed v1\\n" + identity + "\\n" + point + "\\n" + run); identity = SHA-256 of the canonical JSON of { scenario, params }';

export function sweepIdentity(scenario: unknown, params: readonly { readonly name: string; readonly values: readonly unknown[] }[]): string {
  return sha256(canonicalJson({ scenario, params: params.map((p) => ({ name: p.name, values: p.values })) }));
}

/** The seed of run `run` (0, 1, …) of point `point`: a non-negative safe integer. */
export function runSeed(identity: string, point: number, run: number): number {
  const digest = createHash('sha256').update(`apf-lab sweep seed v1\n${identity}\n${point}\n${run}`).digest();
  // The first 32 bits shifted up by 21, then the next 21: at most 2^53 - 1, a safe integer.
  return digest.readUInt32BE(0) * 2 ** 21 + (digest.readUInt32BE(4) >>> 11);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level, so that equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The value with every object's keys sorted, at every level; undefined fields dropped, as JSON drops them. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sortKeys(o[k])]));
  }
  return value;
}

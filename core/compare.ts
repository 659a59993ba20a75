import type { Variant } from './backend.js';
import { runVariant, type RunOptions, type RunResult } from './run.js';
import type { Scenario } from './scenario/schema.js';

/** The same scenario and seed through each variant (common random numbers): the `--json` document. */
export interface Comparison {
  readonly scenario: Scenario;
  readonly seed: number;
  /** The variant the others are measured against (`sync` by default), or null. */
  readonly baseline: string | null;
  readonly variants: readonly RunResult[];
}

export function compareVariants(
  scenario: Scenario,
  variants: readonly Variant[],
  options: { seed?: number; baseline?: string | null; onProgress?: RunOptions['onProgress']; signal?: RunOptions['signal'] } = {},
): Comparison {
  const seed = options.seed ?? scenario.seed;
  const { onProgress, signal } = options;
  return { scenario, seed, baseline: options.baseline ?? null, variants: variants.map((v) => runVariant(scenario, v, { seed, onProgress, signal })) };
}

import type { Variant } from './backend.js';
import { BadInputError } from './errors.js';
import { runVariant, type RunOptions, type RunResult } from './run.js';
import type { Scenario } from './scenario/schema.js';
import { roundTo } from './spread.js';

/**
 * One variant's result in a comparison, with its work measured against the no-APF baseline of its
 * own architecture — same costs, same exits — when the comparison has one (DESIGN.md "The backend
 * contract": a comparison's no-APF baseline runs on the same architecture and costs).
 */
export interface ComparedRun extends RunResult {
  /** The baseline this entry is measured against (itself for a baseline), or null if its architecture has none here. */
  readonly baselineId: string | null;
  /**
   * Work divided by that baseline's (per measured second where the two windows differ, as with
   * `until`), or null without a baseline (or if the baseline did no work).
   */
  readonly workVsBaseline: number | null;
}

/** The same scenario and seed through each variant (common random numbers): the `--json` document. */
export interface Comparison {
  readonly scenario: Scenario;
  readonly seed: number;
  /** The baseline of each architecture in the comparison, by architecture. */
  readonly baselines: Readonly<Record<string, string>>;
  readonly variants: readonly ComparedRun[];
}

export interface CompareOptions {
  readonly seed?: number;
  /**
   * @deprecated ignored: a comparison measures each variant against the variant flagged `baseline`
   * of its own architecture. Accepted so that callers written for the single `sync` still compile.
   */
  readonly baseline?: string | null;
  /** Progress and cancellation (the CLI's progress line and Ctrl-C), passed to every run. */
  readonly onProgress?: RunOptions['onProgress'];
  readonly signal?: RunOptions['signal'];
  /** The events each run may do (the CLI's, without --allow-large). */
  readonly sizeLimit?: RunOptions['sizeLimit'];
  /** A trace sink for a variant's run, or none: tracing only observes, the results are the same. */
  readonly trace?: (variant: Variant) => RunOptions['trace'];
}

export function compareVariants(scenario: Scenario, variants: readonly Variant[], options: CompareOptions = {}): Comparison {
  checkCompareArgs(variants, options);
  const seed = options.seed ?? scenario.seed;
  const { onProgress, signal, sizeLimit } = options;
  const runs = variants.map((v) => runVariant(scenario, v, { seed, onProgress, signal, sizeLimit, trace: options.trace?.(v) }));
  const baselines = baselinesByArch(runs);
  return {
    scenario,
    seed,
    baselines: Object.fromEntries([...baselines].map(([arch, r]) => [arch, r.id])),
    variants: runs.map((r) => withRatio(r, baselines.get(r.arch) ?? null)),
  };
}

/** Library input is checked where it enters (the scenario in runVariant()), so that a mistake is named. */
function checkCompareArgs(variants: readonly Variant[], options: CompareOptions): void {
  if (!Array.isArray(variants)) throw new BadInputError(`compareVariants: variants must be an array of variants (see VARIANTS), got ${describe(variants)}`);
  variants.forEach((v: unknown, i) => {
    if (!v || typeof (v as Variant).createBackend !== 'function') throw new BadInputError(`compareVariants: variants[${i}] is not a variant (see VARIANTS), got ${describe(v)}`);
  });
  if (typeof options !== 'object' || options === null) throw new BadInputError(`compareVariants: options must be an object, got ${describe(options)}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** The first baseline of each architecture, in the order the comparison lists them. */
function baselinesByArch(runs: readonly RunResult[]): Map<string, RunResult> {
  const out = new Map<string, RunResult>();
  for (const r of runs) if (r.baseline && !out.has(r.arch)) out.set(r.arch, r);
  return out;
}

function withRatio(r: RunResult, base: RunResult | null): ComparedRun {
  const ratio = workRatio(r, base);
  // Next to `arch` and `baseline` in the JSON, where a reader looks for what the entry is measured against.
  const { id, arch, baseline, ...rest } = r;
  return { id, arch, baseline, baselineId: base?.id ?? null, workVsBaseline: ratio, ...rest };
}

/**
 * Work against the baseline's: the totals when both runs measured the same window, and work per
 * measured second when they did not. A scenario with `until` ends each run's window when its named
 * tasks finish, so a design that finishes them sooner measures a shorter window; totals over
 * unequal windows would reward the slower run for the background work its longer window piled up.
 */
function workRatio(r: RunResult, base: RunResult | null): number | null {
  if (!base || !(base.metrics.work > 0)) return null;
  if (r.run.measuredNs === base.run.measuredNs) return roundTo(r.metrics.work / base.metrics.work, 4);
  if (!(r.run.measuredNs > 0) || !(base.run.measuredNs > 0)) return null;
  return roundTo(r.metrics.work / r.run.measuredNs / (base.metrics.work / base.run.measuredNs), 4);
}

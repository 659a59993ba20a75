import type { Variant } from './backend.js';
import { BadInputError } from './errors.js';
import { runVariant, type RunOptions, type RunResult } from './run.js';
import type { ExperimentRowSpec, Scenario } from './scenario/schema.js';
import { roundTo, spread } from './spread.js';

/**
 * `apf-lab reproduce`: a scenario that carries a published experiment (facts/anchors.md §A1, §A2;
 * facts/arm64.md §7) is run for each variant and baseline it names, over several seeds, and each
 * row's ratio (variant ÷ baseline, seed by seed on the same random numbers) is reported as mean,
 * min and max next to the published figure.
 */

export interface ExperimentRow {
  readonly label: string;
  readonly metric: ExperimentRowSpec['metric'];
  readonly group: string | null;
  readonly variant: string;
  readonly baseline: string;
  readonly unit: 'ratio';
  readonly lab: { readonly mean: number; readonly min: number; readonly max: number; readonly seeds: readonly number[]; readonly values: readonly number[] };
  readonly published: number | null;
}

export interface ExperimentResult {
  readonly id: string;
  readonly scenario: string;
  readonly source: string;
  readonly rows: readonly ExperimentRow[];
}

export interface ReproduceOptions {
  readonly seeds: readonly number[];
  readonly onProgress?: RunOptions['onProgress'];
  readonly signal?: RunOptions['signal'];
  readonly sizeLimit?: RunOptions['sizeLimit'];
}

/** The figure a row compares, from one run (also the report's validation table, cli/report/view.ts). */
export function experimentValue(row: ExperimentRowSpec, r: RunResult): number {
  if (row.metric === 'work') return r.metrics.work;
  if (row.metric === 'count') return r.metrics.workByTask[row.group ?? ''] ?? 0;
  const g = r.metrics.tasks[row.group ?? ''];
  if (row.metric === 'rate') return g?.workPerSecond ?? 0;
  return g?.completionNs?.mean ?? Number.NaN;
}

/** Ratios to 4 places, so that a 0.1 % change still shows. */
const RATIO_PLACES = 4;

/**
 * Refuses a scenario that is no experiment, or whose rows name an unknown variant or a baseline not
 * of the variant's architecture: the whole list is checked before any experiment runs.
 */
export function checkExperiment(id: string, scenario: Scenario, lookup: (id: string) => Variant): NonNullable<Scenario['experiment']> {
  const exp = scenario.experiment;
  if (!exp) throw new BadInputError(`${id}: the scenario describes no experiment (no \`experiment\` block)`);
  // README: a ratio is only ever against the no-APF baseline of the variant's own architecture.
  // A row's unknown id is named like the experiment's other field errors (file: experiment.rows[i].…).
  const find = (variantId: string, field: string) => {
    try {
      return lookup(variantId);
    } catch (e) {
      if (e instanceof BadInputError) throw new BadInputError(`${id}: ${field}: ${e.message}`);
      throw e;
    }
  };
  for (const [i, row] of exp.rows.entries()) {
    const v = find(row.variant, `experiment.rows[${i}].variant`);
    const b = find(row.baseline, `experiment.rows[${i}].baseline`);
    if (b.baseline !== true || b.arch !== v.arch) {
      throw new BadInputError(`${id}: ${row.label}: ${row.baseline} is not the no-APF baseline of ${row.variant}'s architecture (${v.arch}); a ratio is only against the variant's own architecture's baseline`);
    }
  }
  return exp;
}

/** Runs one experiment: every variant it names once per seed, shared between its rows. */
export function runExperiment(id: string, scenario: Scenario, lookup: (id: string) => Variant, options: ReproduceOptions): ExperimentResult {
  const exp = checkExperiment(id, scenario, lookup);
  const runs = new Map<string, RunResult>();
  const run = (variantId: string, seed: number) => {
    const key = `${variantId}@${seed}`;
    let r = runs.get(key);
    if (!r) runs.set(key, (r = runVariant(scenario, lookup(variantId), { seed, onProgress: options.onProgress, signal: options.signal, sizeLimit: options.sizeLimit })));
    return r;
  };
  const rows = exp.rows.map((row): ExperimentRow => {
    const values = options.seeds.map((seed) => {
      const v = experimentValue(row, run(row.variant, seed));
      const b = experimentValue(row, run(row.baseline, seed));
      if (!(b > 0) || !Number.isFinite(v)) {
        // A time needs the group's fixed work done; a count or a rate, work done in the window.
        const hint =
          row.metric === 'time' ? 'did the task finish its passes within durationMs?' : row.group === undefined ? 'did any task run in the measured window?' : `did task "${row.group}" run in the measured window?`;
        throw new BadInputError(`${id}: ${row.label}: ${row.baseline} or ${row.variant} gave no ${row.metric} with seed ${seed} (${hint})`);
      }
      return v / b;
    });
    return {
      label: row.label,
      metric: row.metric,
      group: row.group ?? null,
      variant: row.variant,
      baseline: row.baseline,
      unit: 'ratio',
      lab: { ...spread(values, RATIO_PLACES), seeds: options.seeds, values: values.map((x) => roundTo(x, RATIO_PLACES)) },
      published: row.published,
    };
  });
  return { id, scenario: scenario.name, source: exp.source, rows };
}

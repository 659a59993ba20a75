import type { CostTable, Mechanisms, Variant } from '../backend.js';
import type { Scenario } from '../scenario/schema.js';
import { spread, type Spread } from '../spread.js';
import { canonicalParamName } from './params.js';
import { pointCount, pointValues, shardPoints, type Shard, type SweepParam } from './grid.js';
import { SWEEP_METRICS, type RunOutcome } from './metrics.js';
import { runSeed, SEED_DERIVATION, sortKeys, sweepIdentity } from './seed.js';
import { canonicalSpec, type SweepValue } from './spec.js';

/**
 * A variant as a sweep records it: everything its runs depend on, so that two sweeps of different
 * designs never pass for one. A variant file may give one id any knobs, so the id and mechanisms
 * alone do not tell two designs apart; the cost table is the architecture's, recorded so that
 * parts made by apf-lab versions that price exits differently are not merged either.
 */
export interface SweepVariant {
  readonly id: string;
  readonly arch: string;
  readonly mechanisms: Mechanisms;
  /** The knobs' defaults the variant runs with (a scenario's arch.<arch> overrides them). */
  readonly knobs: Readonly<Record<string, number>>;
  /** The cost table the variant runs with (a scenario's costs.<arch> overrides it). */
  readonly costs: CostTable;
}

export function sweepVariant(v: Variant): SweepVariant {
  return { id: v.id, arch: v.arch, mechanisms: v.mechanisms, knobs: v.knobs, costs: v.defaultCosts };
}

/** What a sweep is: everything its results depend on, and nothing about how it was run (jobs, shards, paths). */
export interface SweepDefinition {
  readonly identity: string;
  readonly seedDerivation: string;
  readonly scenario: Scenario;
  readonly params: readonly SweepParam[];
  readonly variants: readonly SweepVariant[];
  readonly seeds: number;
  readonly metric: string;
  readonly x: string;
}

export function defineSweep(d: Omit<SweepDefinition, 'identity' | 'seedDerivation'>): SweepDefinition {
  // Each parameter by its canonical name (tasks.0.count is tasks.worker.count): the identity, and
  // so the seeds, must not depend on how a field was spelled.
  const params = d.params.map((p) => ({ ...p, name: canonicalParamName(d.scenario, p.name) }));
  const x = canonicalParamName(d.scenario, d.x);
  // The identity last: a definition passed back in (defineSweep({ ...def, seeds: 3 })) must not keep its old one.
  return canonicalDefinition({ ...d, params, x, identity: sweepIdentity(d.scenario, params), seedDerivation: SEED_DERIVATION });
}

/**
 * A sweep's definition with every object's keys in one fixed order, whatever order its inputs gave
 * them in. A scenario file, a variant file or a part re-saved by a tool (`jq -S`) may list a map's
 * keys in any order, and JSON.stringify() keeps that order: sweep.json would then differ between
 * the unsharded sweep and a merge of its parts, and between merges of the same parts named in
 * another order. The definition's own fields and a variant's keep their reading order; the
 * scenario and the variants' maps (mechanisms, knobs, costs) are sorted, as the identity's
 * canonical JSON sorts them. A parameter's spec is spelled without spaces (canonicalSpec()).
 */
export function canonicalDefinition(d: SweepDefinition): SweepDefinition {
  const sorted = <T>(value: T): T => sortKeys(value) as T;
  return {
    identity: d.identity,
    seedDerivation: d.seedDerivation,
    scenario: sorted<Scenario>(d.scenario),
    params: d.params.map(({ name, spec, values }) => ({ name, spec: canonicalSpec(spec), values: [...values] })),
    variants: d.variants.map((v) => ({ id: v.id, arch: v.arch, mechanisms: sorted(v.mechanisms), knobs: sorted(v.knobs), costs: sorted(v.costs) })),
    seeds: d.seeds,
    metric: d.metric,
    x: d.x,
  };
}

/** One run to do: a point, a variant, the run's number at that point and its seed. */
export interface PlannedRun {
  readonly point: number;
  readonly variant: string;
  readonly run: number;
  readonly seed: number;
}

/**
 * A run done: why it stopped early, as `run` reports it (null: it ran its window and its drain;
 * 'drain timed out': faults were still outstanding at the drain's cap), and its figures by metric
 * name (core/sweep/metrics.ts), null where the run has none (no latency sample).
 */
export interface SweepRun extends PlannedRun, RunOutcome {}

/** The runs of the given points, in the order every output lists them: point, variant as given, run. */
export function planRuns(def: SweepDefinition, points: readonly number[]): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (const point of points) {
    for (const v of def.variants) {
      for (let run = 0; run < def.seeds; run++) out.push({ point, variant: v.id, run, seed: runSeed(def.identity, point, run) });
    }
  }
  return out;
}

export function allPoints(def: SweepDefinition): number[] {
  return shardPoints(pointCount(def.params), { index: 1, count: 1 });
}

/** A shard's results, to be merged with the other shards' (`apf-lab sweep merge`). */
export interface SweepPart {
  readonly format: typeof PART_FORMAT;
  /** The apf-lab build that ran them (cli/sweep/build.ts): parts of different builds are not merged. */
  readonly build: string;
  readonly sweep: SweepDefinition;
  readonly shard: Shard;
  readonly points: readonly number[];
  readonly runs: readonly SweepRun[];
}

/**
 * v5: exitsPerFault and injectionsPerFault are null without a fault (0 before); v4: a run records its measured window and work per measured second; v3: the build is recorded;
 * v2: a variant records its knobs and cost table (v1 held only id, arch and mechanisms).
 */
export const PART_FORMAT = 'apf-lab sweep part v5';
export const DOCUMENT_FORMAT = 'apf-lab sweep v5';

export type Stat = Spread;

/** The whole sweep: the `sweep.json` file. */
export interface SweepDocument {
  readonly format: typeof DOCUMENT_FORMAT;
  /** The apf-lab build that ran the sweep (every part's, for a merge). */
  readonly build: string;
  readonly sweep: SweepDefinition;
  readonly metrics: readonly { readonly name: string; readonly unit: string; readonly describe: string }[];
  /** One row per point × variant × run. */
  readonly runs: readonly (SweepRun & { readonly params: Readonly<Record<string, SweepValue>> })[];
  /**
   * One row per point × variant: each metric's mean, min and max over the seeds that have the
   * figure; null where none has (no fault completed there, for a latency).
   */
  readonly summary: readonly {
    readonly point: number;
    readonly params: Readonly<Record<string, SweepValue>>;
    readonly variant: string;
    readonly seeds: number;
    readonly metrics: Readonly<Record<string, Stat | null>>;
  }[];
}

/** The document of a complete sweep; `runs` in planRuns() order, as the pool and merge give them. */
export function sweepDocument(def: SweepDefinition, runs: readonly SweepRun[], build: string): SweepDocument {
  const params = (point: number) => {
    const values = pointValues(def.params, point);
    return Object.fromEntries(def.params.map((p, i) => [p.name, values[i]]));
  };
  const summary: SweepDocument['summary'][number][] = [];
  for (let i = 0; i < runs.length; i += def.seeds) {
    const group = runs.slice(i, i + def.seeds);
    const metrics = Object.fromEntries(SWEEP_METRICS.map((m) => [m.name, stat(group.map((r) => r.metrics[m.name]))]));
    summary.push({ point: group[0].point, params: params(group[0].point), variant: group[0].variant, seeds: group.length, metrics });
  }
  return {
    format: DOCUMENT_FORMAT,
    build,
    sweep: def,
    metrics: SWEEP_METRICS.map(({ name, unit, describe }) => ({ name, unit, describe })),
    runs: runs.map((r) => ({ point: r.point, params: params(r.point), variant: r.variant, run: r.run, seed: r.seed, stoppedEarly: r.stoppedEarly, metrics: r.metrics })),
    summary,
  };
}

/**
 * Mean, min and max, to 3 decimals as run metrics are (core/spread.ts, the same summary `reproduce`
 * prints), over the runs that have the figure; null where none has.
 */
export function stat(xs: readonly (number | null)[]): Stat | null {
  const present = xs.filter((x): x is number => x !== null);
  return present.length > 0 ? spread(present, 3) : null;
}

/**
 * A metric against one parameter, one series per variant: at each of the parameter's values,
 * the mean, min and max over every run there (all seeds and all values of the other parameters).
 */
export interface MetricCurves {
  readonly metric: string;
  readonly x: SweepParam;
  /** The other parameters that vary (more than one value): the curves average over them. */
  readonly over: readonly SweepParam[];
  /**
   * One stat per value of the parameter, null where no run there has the figure; and how many runs
   * there have it (`have`) of how many there are (`runs`): a mean over only some is marked.
   */
  readonly series: readonly {
    readonly variant: string;
    readonly stats: readonly (Stat | null)[];
    readonly have: readonly number[];
    readonly runs: readonly number[];
  }[];
}

export function metricCurves(doc: SweepDocument, metric: string, x: string): MetricCurves {
  const param = doc.sweep.params.find((p) => p.name === x)!;
  // The figures grouped by variant and x value in one pass: filtering every run for each value
  // took 16.7 s and 650 MB for 8,000 values × 10 seeds.
  const figures = new Map<string, Map<SweepValue, (number | null)[]>>(doc.sweep.variants.map((v) => [v.id, new Map()]));
  for (const r of doc.runs) {
    const byValue = figures.get(r.variant);
    if (!byValue) continue;
    const xv = r.params[x]!;
    const there = byValue.get(xv);
    if (there) there.push(r.metrics[metric] ?? null);
    else byValue.set(xv, [r.metrics[metric] ?? null]);
  }
  const series = doc.sweep.variants.map((v) => {
    const there = param.values.map((xv) => figures.get(v.id)!.get(xv) ?? []);
    return {
      variant: v.id,
      stats: there.map(stat),
      have: there.map((xs) => xs.filter((f) => f !== null).length),
      runs: there.map((xs) => xs.length),
    };
  });
  return { metric, x: param, over: doc.sweep.params.filter((p) => p.name !== x && p.values.length > 1), series };
}

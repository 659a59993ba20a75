import { z } from 'zod';
import { BadInputError } from '../errors.js';
import { count } from '../plural.js';
import { plainIssueMessage } from '../scenario/issue-message.js';
import { canonicalJson, sweepIdentity } from './seed.js';
import { canonicalDefinition, planRuns, PART_FORMAT, type SweepDefinition, type SweepRun, type SweepVariant } from './document.js';
import { sweepSeeds } from './file.js';
import { checkRunCount, MAX_SHARDS, pointCount, pointValues, shardPoints } from './grid.js';
import { parseValueSpec, type SweepValue } from './spec.js';
import { brokenRelation, SWEEP_METRICS, sweepMetricNames, type FigureKind } from './metrics.js';

/**
 * `apf-lab sweep merge`: the slices of one sharded sweep back into the sweep. It refuses what
 * would give anything other than the unsharded sweep's results: slices of different sweeps (or
 * the same sweep cut into a different number of shards), a slice given twice, a slice missing,
 * or a slice whose runs are not the runs its shard number stands for.
 */

/**
 * The largest part file `sweep merge` reads (README "Limits"): a run's figures take well under a
 * kilobyte, so this holds hundreds of thousands of runs, and a wrong argument is not read whole.
 */
export const MAX_PART_BYTES = 256 * 1024 * 1024;

const value = z.union([z.number(), z.string(), z.boolean()]);
/**
 * No run gives a figure of 2^53 or more: counts go up one at a time in doubles, latencies are
 * integer nanoseconds of a run of at most a day (and its drain), work is microseconds of at most
 * 1,024 vCPUs over a day. The bound keeps every sum over a sweep's runs (at most MAX_RUNS) finite:
 * an edited 1e308 twice is Infinity, which summary.csv would print and the chart draw as NaN.
 */
const MAX_FIGURE = Number.MAX_SAFE_INTEGER;
const atMost = [MAX_FIGURE, 'must be below 2^53: no run gives that much'] as const;
/** Each figure as runFigures() can give it, so that a hand-edited one (work -1, a count of null) is refused, not merged and printed. */
const FIGURE: Record<FigureKind, z.ZodType<number | null>> = {
  // The bound before int(): zod's int() refuses 2^53 too, in words about integers.
  count: z.number().min(0).max(...atMost).int(),
  amount: z.number().min(0).max(...atMost),
  perFault: z.number().min(0).max(...atMost).nullable(),
  latency: z.number().min(0).max(...atMost).int().nullable(),
};
/**
 * Why a run stopped early, in the only words a sweep's run gives: `drain timed out`, or a livelock
 * stopped at a time (core/sim/simulation.ts run() and abort(), core/sim/vcpu-run.ts). Any other text
 * is an edit, and would go into runs.csv as written: a line break, a spreadsheet formula, a bidi override.
 */
const STOPPED_EARLY =
  /^(drain timed out|stopped at \d+ ns: (\d+ events at \d+ ns without simulated time advancing: a vCPU is spinning|vCPU \d+ made no progress in \d+ passes of its run loop))$/;
const figures = z.object(Object.fromEntries(SWEEP_METRICS.map((m) => [m.name, FIGURE[m.kind]]))).strict();
const partSchema = z.object({
  format: z.literal(PART_FORMAT),
  build: z.string().min(1),
  sweep: z
    .object({
      identity: z.string(),
      seedDerivation: z.string(),
      scenario: z.record(z.string(), z.unknown()),
      params: z.array(z.object({ name: z.string(), spec: z.string(), values: z.array(value).min(1) }).strict()).min(1),
      variants: z
        .array(
          z
            .object({
              id: z.string(),
              arch: z.string(),
              mechanisms: z.record(z.string(), z.string()),
              knobs: z.record(z.string(), z.number()),
              costs: z.record(z.string(), z.number()),
            })
            .strict(),
        )
        .min(1),
      seeds: sweepSeeds,
      metric: z.string(),
      x: z.string(),
    })
    .strict(),
  shard: z.object({ index: z.number().int().min(1), count: z.number().min(1).max(MAX_SHARDS, `must be at most ${count(MAX_SHARDS)}, as --shard allows`).int() }).strict(),
  points: z.array(z.number().int().min(0)),
  runs: z.array(
    z
      .object({ point: z.number().int(), variant: z.string(), run: z.number().int(), seed: z.number().int(), stoppedEarly: z.string().regex(STOPPED_EARLY, 'not why a run stops early (drain timed out, or a livelock stopped at a time)').nullable(), metrics: figures })
      .strict(),
  ),
})
  // Unknown keys are refused here as in every object of a part: a part holds nothing a merge ignores.
  .strict();

export interface PartFile {
  readonly file: string;
  readonly data: unknown;
}

/** Formats of parts written by older versions, and what they lack that a merge must check. */
const OLDER_FORMATS: Readonly<Record<string, string>> = {
  // Its variants without their knobs: it cannot be told apart from a part of another design.
  'apf-lab sweep part v1': "which does not record the variants' knobs",
  // No build: it cannot be told apart from a part of a build that computes other figures.
  'apf-lab sweep part v2': 'which does not record the build that ran it',
  // Without measuredMs and workPerSecond, which every run of this one has.
  'apf-lab sweep part v3': 'which does not record the measured window of each run',
  // 0 exits per fault where a run had no fault, where this one has none (null).
  'apf-lab sweep part v4': 'which gives 0 per fault where a run had no fault',
};

/** Checks the slices and returns the sweep, all its runs in planRuns() order, and the build that ran them. */
export function mergeParts(files: readonly PartFile[]): { sweep: SweepDefinition; runs: SweepRun[]; build: string } {
  if (files.length === 0) throw new BadInputError('name the part files to merge');
  const parts = files.map(({ file, data }) => {
    const format = (data as { format?: unknown } | null)?.format;
    if (typeof format === 'string' && Object.hasOwn(OLDER_FORMATS, format)) {
      throw new BadInputError(`${file}: written by an older apf-lab (${format}, ${OLDER_FORMATS[format]}): run its shard again`);
    }
    // A later format ("v5" read by a v4 build) is a part file all the same, of a newer apf-lab.
    const version = typeof format === 'string' ? /^apf-lab sweep part v(\d+)$/.exec(format) : null;
    if (version && Number(version[1]) > Number(/\d+$/.exec(PART_FORMAT)![0])) {
      throw new BadInputError(`${file}: written by a newer apf-lab (${format}; this one reads ${PART_FORMAT}): merge with that version`);
    }
    const parsed = partSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.join('.');
      // A figure or a reason to stop no run gives (runs.3.metrics.work: -1), or a shard no --shard gives, is an edit of a part file, not another kind of file.
      const inRun = issue.path[0] === 'runs' && ((issue.path[2] === 'metrics' && issue.path.length === 4) || (issue.path[2] === 'stoppedEarly' && issue.path.length === 3));
      const edited = inRun || (issue.path[0] === 'shard' && issue.path.length === 2);
      const message = plainIssueMessage(issue, data);
      if (edited) throw new BadInputError(`${file}: ${field}: ${message} (was the file edited?)`);
      throw new BadInputError(`${file}: not a sweep part file (${field || 'top level'}: ${message}); write one with apf-lab sweep --shard i/n --out DIR`);
    }
    // Figures each possible alone may still be impossible together (more APFs than faults).
    parsed.data.runs.forEach((r, i) => {
      const why = brokenRelation(r.metrics);
      if (why !== null) throw new BadInputError(`${file}: runs.${i}.metrics: ${why} (was the file edited?)`);
    });
    // In the canonical order: a part re-saved with its keys in another order merges as written.
    const sweep = canonicalDefinition(parsed.data.sweep as unknown as SweepDefinition);
    // The chart spaces x by the spec (log or linear) and the header prints it: it must stand for the values run.
    sweep.params.forEach((p, i) => {
      const why = specMismatch(p.spec, p.values);
      if (why !== null) throw new BadInputError(`${file}: sweep.params.${i} (${p.name}): ${why} (was the file edited?)`);
    });
    // A sweep no `apf-lab sweep` would run: its points would be listed, and each shard's, below.
    try {
      checkRunCount(sweep.params, sweep.variants.length, sweep.seeds);
    } catch (e) {
      if (e instanceof BadInputError) throw new BadInputError(`${file}: ${e.message} (was the file edited?)`);
      throw e;
    }
    if (sweepIdentity(sweep.scenario, sweep.params) !== sweep.identity) throw new BadInputError(`${file}: its sweep identity does not match its scenario and parameters (was the file edited?)`);
    // metric and x are not part of the identity (they choose what is drawn), so check them here.
    if (!sweepMetricNames().includes(sweep.metric)) throw new BadInputError(`${file}: sweep.metric "${sweep.metric}" is not a sweep metric (known: ${sweepMetricNames().join(', ')}; was the file edited?)`);
    if (!sweep.params.some((p) => p.name === sweep.x)) throw new BadInputError(`${file}: sweep.x "${sweep.x}" is not one of its parameters (${sweep.params.map((p) => p.name).join(', ')}; was the file edited?)`);
    return { file, ...parsed.data, sweep };
  });

  const first = parts[0];
  const firstSweep = canonicalJson(first.sweep);
  for (const p of parts.slice(1)) {
    // Before the definitions: another build may record the same sweep but compute other figures.
    if (p.build !== first.build) {
      throw new BadInputError(`${first.file} and ${p.file} were written by different apf-lab builds (${first.build} and ${p.build}): their figures need not agree; run every shard with one build`);
    }
    if (canonicalJson(p.sweep) !== firstSweep) {
      throw new BadInputError(`${first.file} and ${p.file} are slices of different sweeps (they differ in ${differingField(first.sweep, p.sweep)})`);
    }
    if (p.shard.count !== first.shard.count) {
      throw new BadInputError(`${first.file} is shard ${shardName(first.shard)} but ${p.file} is shard ${shardName(p.shard)}: slices of different shardings overlap; merge the shards of one --shard i/n run`);
    }
  }
  const n = first.shard.count;
  const byIndex = new Map<number, (typeof parts)[number]>();
  for (const p of parts) {
    if (p.shard.index > n) throw new BadInputError(`${p.file}: shard ${shardName(p.shard)} does not exist`);
    const seen = byIndex.get(p.shard.index);
    if (seen) throw new BadInputError(`${seen.file} and ${p.file} are both shard ${shardName(p.shard)}: overlapping slices`);
    byIndex.set(p.shard.index, p);
  }
  // Every index is from 1 to n and given once, so the count missing is n less those given. Only
  // the first few are named, and only they are looked for: n may be a million.
  const missing = n - byIndex.size;
  if (missing > 0) {
    const named: string[] = [];
    for (let i = 1; named.length < Math.min(missing, 10); i++) if (!byIndex.has(i)) named.push(`${i}/${n}`);
    throw new BadInputError(`missing slice${missing > 1 ? 's' : ''} ${named.join(', ')}${missing > 10 ? `, … (${count(missing)} in all)` : ''} of the ${count(n)} shards`);
  }

  const sweep = first.sweep;
  const total = pointCount(sweep.params);
  // Once, not for each run: a part may hold hundreds of thousands.
  const names = canonicalJson(sweepMetricNames());
  for (const p of parts) {
    const points = shardPoints(total, p.shard);
    const planned = planRuns(sweep, points);
    const ok =
      canonicalJson(p.points) === canonicalJson(points) &&
      p.runs.length === planned.length &&
      p.runs.every((r, i) => {
        const q = planned[i];
        return r.point === q.point && r.variant === q.variant && r.run === q.run && r.seed === q.seed && canonicalJson(Object.keys(r.metrics)) === names;
      });
    if (!ok) throw new BadInputError(`${p.file}: its runs are not those of shard ${shardName(p.shard)} of this sweep (was the file edited, or written by another version?)`);
  }
  // A run measures at most its window: durationMs, swept or the scenario's (until only shortens it),
  // as the simulator takes it, in whole nanoseconds (1.0000005 ms runs 1,000,001 ns: a genuine
  // part was refused).
  const swept = sweep.params.findIndex((q) => q.name === 'durationMs');
  const windowMs = (point: number) => Math.round(Number(swept >= 0 ? pointValues(sweep.params, point)[swept] : sweep.scenario.durationMs) * 1e6) / 1e6;
  for (const p of parts) {
    p.runs.forEach((r, i) => {
      const measured = r.metrics.measuredMs ?? 0;
      if (measured > windowMs(r.point) * (1 + 1e-12)) {
        throw new BadInputError(`${p.file}: runs.${i}.metrics: measuredMs ${measured} is more than the window of its point, durationMs ${windowMs(r.point)} (was the file edited?)`);
      }
    });
  }

  // Every run in the unsharded order: point by point, whichever shard ran it.
  const byPoint = new Map<number, SweepRun[]>();
  for (const p of parts) {
    for (const r of p.runs) {
      const list = byPoint.get(r.point) ?? [];
      list.push(r);
      byPoint.set(r.point, list);
    }
  }
  const runs: SweepRun[] = [];
  for (let point = 0; point < total; point++) runs.push(...(byPoint.get(point) ?? []));
  return { sweep, runs, build: first.build };
}

/** Why a parameter's values are not those its spec stands for; null when they are. */
function specMismatch(spec: string, values: readonly SweepValue[]): string | null {
  let parsed: SweepValue[];
  try {
    parsed = parseValueSpec(spec);
  } catch (e) {
    if (e instanceof BadInputError) return `spec ${JSON.stringify(spec)} is not a value spec: ${e.message}`;
    throw e;
  }
  // A long list is cut (20,000 values made a 109 KB line): the first ten and how many in all.
  const text = (vs: readonly SweepValue[]) => (vs.length > 10 ? `${vs.slice(0, 10).map(String).join(',')},… (${vs.length} values)` : vs.map(String).join(','));
  return canonicalJson(parsed) === canonicalJson(values) ? null : `values ${text(values)} are not those of its spec ${JSON.stringify(spec)} (${text(parsed)})`;
}

function shardName(s: { index: number; count: number }): string {
  return `${s.index}/${s.count}`;
}

/** The first field (in the definition's order) where two sweeps differ, for the message. */
function differingField(a: SweepDefinition, b: SweepDefinition): string {
  const keys: (keyof SweepDefinition)[] = ['scenario', 'params', 'variants', 'seeds', 'metric', 'x', 'seedDerivation', 'identity'];
  const key = keys.find((k) => canonicalJson(a[k]) !== canonicalJson(b[k])) ?? 'identity';
  // The seed is the scenario's, set by --seed: name it as the flag does, not as "scenario".
  if (key === 'scenario' && a.scenario.seed !== b.scenario.seed) return `seed: ${a.scenario.seed} and ${b.scenario.seed}`;
  const detail =
    key === 'variants' ? variantDifference(a.variants, b.variants) : key === 'params' ? paramDifference(a.params, b.params) : key === 'scenario' ? differences(a.scenario, b.scenario).join(', ') : '';
  return detail ? `${key}: ${detail}` : key;
}

/** Where two grids differ: the names swept, or one parameter's spec (its values follow from it). */
function paramDifference(a: SweepDefinition['params'], b: SweepDefinition['params']): string | undefined {
  const names = (ps: SweepDefinition['params']) => ps.map((p) => p.name).join(', ');
  if (names(a) !== names(b)) return `${names(a)} and ${names(b)}`;
  const i = a.findIndex((p, k) => canonicalJson(p) !== canonicalJson(b[k]));
  return i < 0 ? undefined : `${a[i].name} ${a[i].spec} and ${b[i].spec}`;
}

/**
 * Where two lists of variants differ: the ids, or one variant's arch, mechanisms, knobs or costs.
 * Variants with one id may still be different designs (variant files that set other knobs).
 */
function variantDifference(a: readonly SweepVariant[], b: readonly SweepVariant[]): string | undefined {
  const ids = (vs: readonly SweepVariant[]) => vs.map((v) => v.id).join(', ');
  if (ids(a) !== ids(b)) return `${ids(a)} and ${ids(b)}`;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    if (x.arch !== y.arch) return `${x.id}'s arch: ${x.arch} and ${y.arch}`;
    // Mechanisms are named by dimension only: their descriptions are sentences.
    const mechanisms = differingKeys(x.mechanisms, y.mechanisms);
    if (mechanisms.length > 0) return `${x.id}'s mechanisms: ${mechanisms.join(', ')}`;
    for (const field of ['knobs', 'costs'] as const) {
      const keys = differences(x[field], y[field]);
      if (keys.length > 0) return `${x.id}'s ${field}: ${keys.join(', ')}`;
    }
  }
  return undefined;
}

function differingKeys(a: object, b: object): string[] {
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k]));
}

/** The fields of two records that differ: `name a and b` for a value, the name alone for a group of fields. */
function differences(a: object, b: object): string[] {
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const value = (v: unknown) => v === undefined || typeof v !== 'object';
  const text = (v: unknown) => (v === undefined ? 'unset' : String(v));
  return differingKeys(x, y).map((k) => (value(x[k]) && value(y[k]) ? `${k} ${text(x[k])} and ${text(y[k])}` : k));
}

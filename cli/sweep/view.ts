import { metricCurves, type SweepDefinition, type SweepDocument, type SweepRun } from '../../core/sweep/document.js';
import { pointCount, runCount } from '../../core/sweep/grid.js';
import { SWEEP_METRICS } from '../../core/sweep/metrics.js';
import { count, fixed, plural } from '../views/format.js';

/** A plain view-model for templates/text/sweep.text.hbs: every cell already a string. */
export interface SweepView {
  readonly header: readonly string[];
  /** The chart's numbers as a table (x values down, variants across); null for a shard's part. */
  readonly table: { readonly corner: string; readonly columns: readonly string[]; readonly rows: readonly { readonly label: string; readonly cells: readonly string[] }[]; readonly labelWidth: number; readonly cellWidth: number } | null;
  readonly notes: readonly string[];
  readonly files: readonly string[];
}

/** What the sweep is, in two lines. */
function headerOf(def: SweepDefinition, runs: number): string[] {
  const points = pointCount(def.params);
  return [
    `sweep of ${def.scenario.name}: ${runCount(points, def.variants.length, def.seeds)}${runs < points * def.variants.length * def.seeds ? ` (${count(runs)} in this shard)` : ''}`,
    ...def.params.map((p) => `  ${p.name} = ${p.spec} (${plural(p.values.length, 'value')})`),
  ];
}

export function sweepView(doc: SweepDocument, files: readonly string[]): SweepView {
  const c = metricCurves(doc, doc.sweep.metric, doc.sweep.x);
  const unit = SWEEP_METRICS.find((m) => m.name === c.metric)!.unit;
  const columns = c.series.map((s) => s.variant);
  // No figure (no fault completed there, for a latency): "—" as compare prints it, not 0; a mean
  // over only some of the runs there is marked, so that it does not pass for a mean over all.
  const rows = c.x.values.map((v, k) => ({
    label: String(v),
    cells: c.series.map((s) => (s.stats[k] ? `${number(s.stats[k].mean)}${s.have[k]! < s.runs[k]! ? '*' : ''}` : '—')),
  }));
  const empty = rows.some((r) => r.cells.includes('—'));
  const some = rows.some((r) => r.cells.some((x) => x.endsWith('*')));
  const bad = doc.runs.filter((r) => (r.metrics.violations ?? 0) > 0).length;
  // A latency needs a fault that completed; a figure per fault, a fault (hostile finding: the note said the first for both).
  const why = SWEEP_METRICS.find((m) => m.name === c.metric)!.kind === 'perFault' ? 'there was no fault' : 'no fault completed';
  const over = c.over.map((p) => p.name);
  return {
    header: [...headerOf(doc.sweep, doc.runs.length), '', `${c.metric}, mean over the seeds${over.length ? ` and ${over.join(', ')}` : ''} (${unit}):`],
    table: {
      corner: c.x.name,
      columns,
      rows,
      labelWidth: Math.max(c.x.name.length, ...rows.map((r) => r.label.length)) + 2,
      cellWidth: Math.max(12, ...columns.map((s) => s.length + 2), ...rows.flatMap((r) => r.cells.map((x) => x.length + 2))),
    },
    notes: [
      ...(empty ? [`—: no run there has this figure (${why})`] : []),
      ...(some ? [`*: the mean of the runs there that have this figure; in the others ${why}`] : []),
      ...(bad > 0 ? [`${plural(bad, 'run')} broke an invariant: see the violations column`] : []),
      ...windowNote(doc, c.metric),
      ...stoppedNote(doc.runs),
      ...(files.length === 0 ? ['', 'give --out DIR to write runs.csv, summary.csv, sweep.json and chart.svg'] : []),
    ],
    files,
  };
}

/** A shard's output: what it ran and where its part went. */
export function partView(def: SweepDefinition, runs: readonly SweepRun[], files: readonly string[]): SweepView {
  return { header: headerOf(def, runs.length), table: null, notes: stoppedNote(runs), files };
}

/**
 * How many runs stopped early and why, as `run` and `compare` report such runs: a drain that
 * timed out (faults still outstanding at its cap) or a run cut short. A reason's time is left
 * out, so that one cause is counted once, in the order the runs first give it.
 */
function stoppedNote(runs: readonly SweepRun[]): string[] {
  const reasons = new Map<string, number>();
  for (const r of runs) {
    if (r.stoppedEarly === null) continue;
    const reason = r.stoppedEarly.replace(/^stopped at \d+ ns: /, '');
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const stopped = [...reasons.values()].reduce((a, b) => a + b, 0);
  if (stopped === 0) return [];
  const why = [...reasons].map(([reason, n]) => `${reason}: ${count(n)}`).join('; ');
  return [
    '',
    `${count(stopped)} of ${plural(runs.length, 'run')} stopped early (${why}): runs.csv and sweep.json say which, in stoppedEarly;`,
    'their figures leave out what was still to happen when they stopped',
  ];
}

/**
 * Where the runs' windows differ, a total (work, faults, exits) is over each run's own window: a
 * slower disk keeps an `until` window open longer and shows more work, and a swept durationMs
 * measures longer at its larger values. Say so, why (only what this sweep has: it blamed until in
 * a sweep of durationMs without one), and what compares them, unless the figure is the window or
 * the rate itself.
 */
function windowNote(doc: SweepDocument, metric: string): string[] {
  if (metric === 'measuredMs' || metric === 'workPerSecond') return [];
  const windows = doc.runs.map((r) => r.metrics.measuredMs ?? 0);
  const [lo, hi] = [Math.min(...windows), Math.max(...windows)];
  if (lo === hi) return [];
  const why = [
    doc.sweep.params.some((p) => p.name === 'durationMs') ? 'durationMs is swept' : null,
    doc.sweep.scenario.until ? 'until ends them' : null,
  ].filter((w) => w !== null);
  // A run stopped early (a livelock) ends its window sooner too.
  const cause = why.length > 0 ? why.join(' and ') : 'runs that stopped early end theirs sooner';
  // One number of decimals for both ends, as many as tell them apart ("20.00 to 20" read as equal).
  // A window that is not zero does not read as one either ("0.000 to 0.700" for 0.0001 ms).
  let digits = Number.isInteger(lo) && Number.isInteger(hi) ? 0 : hi >= 100 ? 1 : hi >= 1 ? 2 : 3;
  while ((fixed(lo, digits) === fixed(hi, digits) || (lo > 0 && Number(fixed(lo, digits)) === 0)) && digits < 9) digits++;
  return [`the measured windows differ (${cause}: ${fixed(lo, digits)} to ${fixed(hi, digits)} ms): totals are over each run's own window; workPerSecond compares work across them`];
}

/** A mean to the digits that still say something: none for a whole number, fewer the larger it is. */
function number(x: number): string {
  const a = Math.abs(x);
  return fixed(x, Number.isInteger(x) ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3);
}
